"""`make package` reports each function's unzipped size (its app and the layers template.yaml attaches) and fails
above 220 MB, well before Lambda's 250 MB refusal at deploy time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def sized(folder: Path, megabytes: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "blob.bin", "wb") as blob:  # sparse: the size Lambda counts, no disk used
        blob.truncate(int(megabytes * MB))


@pytest.fixture
def build(tmp_path: Path) -> Path:
    sized(tmp_path / "app", 1)
    for layer, size in {"base": 30, "api": 20, "agent": 40, "channels": 15, "brokers": 150}.items():
        sized(tmp_path / "layers" / layer / "python", size)
    return tmp_path


def run(build: Path, *extra: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "function_sizes.py"), str(build), *extra],
                          cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ})
    return done.returncode, done.stdout, done.stderr


def test_each_function_is_sized_from_the_app_and_exactly_its_layers(build) -> None:
    code, out, _ = run(build)
    assert code == 0
    lines = {line.split()[1]: line for line in out.splitlines()}
    assert "  181.0 MB unzipped (app+base+brokers)" in lines["BrokerFunction"]
    assert "   91.0 MB unzipped (app+base+api+agent)" in lines["ApiFunction"]
    assert "   31.0 MB unzipped (app+base)" in lines["KinesisConsumerFunction"]
    assert len(lines) == out.count("function ") >= 14


def test_a_function_over_220_mb_fails_the_package_naming_it(build) -> None:
    sized(build / "layers" / "brokers" / "python", 190)  # 1 + 30 + 190 = 221 MB
    code, out, err = run(build)
    assert code == 1
    assert "BrokerFunction" in err and "ReconcileFunction" in err and "ApiFunction" not in err
    assert "221.0 MB unzipped (app+base+brokers)  OVER THE LIMIT" in out


def left_out(layer: str) -> list[str]:
    """deploy/package.sh's LEAVE_OUT_PATHS and LEAVE_OUT_DISTRIBUTIONS for ``layer``, as module names."""
    text = (ROOT / "deploy" / "package.sh").read_text()
    names = []
    for table in ("LEAVE_OUT_PATHS", "LEAVE_OUT_DISTRIBUTIONS"):
        match = re.search(rf"declare -A {table}=\(\[{layer}\]=\"([^\"]*)\"\)", text)
        assert match, table
        names += [path.replace("/", ".") for path in match.group(1).split()]
    return names


def test_what_the_brokers_layer_leaves_out_is_never_loaded_by_the_venue_adapters() -> None:
    """The broker function's adapters import the synchronous ccxt and alpaca-py: none of the left-out parts load."""
    gone = left_out("brokers")
    assert {"ccxt.async_support", "pandas.tests", "uvloop"} <= set(gone)
    probe = ("import sys, infra.brokers.exchange, infra.brokers.alpaca, ccxt, pandas, functions.brokers.gateway;"
             f"gone = {gone!r};"
             "print([m for m in sys.modules if any(m == g or m.startswith(g + '.') for g in gone)])")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PARLEY_FEED": "off", "PARLEY_JWT_SECRET": "j" * 40,
           "PARLEY_STORE_URL": "memory://"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
