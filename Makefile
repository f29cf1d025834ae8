# Parley: `make run` starts the whole platform locally; `make test` runs everything CI runs.
PYTHON ?= python3
# `make run PORT=8101 HOST=127.0.0.1`: where the local platform listens.
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: run test test-fast lint browser bench package deploy install clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --config-settings editable_mode=compat --editable .
	touch $@

$(VENV)/.test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --config-settings editable_mode=compat --editable '.[test]'
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/parley serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)

# The web chat page is tested in headless Chromium, from Debian's packages (root installs them here).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "note: install chromium and chromium-driver to run the web chat test; it is skipped without them"; fi; \
	fi

test: lint browser
	$(BIN)/pytest

# The inner loop: the unit tier (tests/unit, tests/agent; tiers by folder in tests/markers.py) without moto and
# without Hypothesis's property tests, stopping at the first failure. `make test` still runs everything.
test-fast: $(VENV)/.test
	$(BIN)/mypy
	$(BIN)/pytest tests/unit tests/agent -m "unit and not aws and not hypothesis" -x

bench: $(VENV)/.test
	$(BIN)/pytest tests/benchmarks -o python_files='bench_*.py' -p no:randomly --benchmark-columns=min,median,mean,ops,rounds -s

package: $(VENV)/.test
	PYTHON=$(BIN)/python bash deploy/package.sh

# From an empty AWS account (credentials and region in the environment) to a stack whose /health answers.
deploy: package
	BIN=$(BIN) bash deploy/deploy.sh

clean:
	rm -rf build .parley
