#!/usr/bin/env bash
# Build the artifacts template.yaml deploys, from the repository root:
#   build/layers/base/python/   BaseLayer:  pydantic, Powertools (every function)
#   build/layers/api/python/    ApiLayer:   FastAPI, Mangum, PyJWT (functions that serve HTTP)
#   build/layers/agent/python/  AgentLayer: LangChain, OpenAI (functions that call the LLM)
#   build/layers/brokers/python/ BrokersLayer: alpaca-py, CCXT (the broker and reconciliation functions),
#                               built on top of the base layer only (see ON_TOP_OF)
#   build/layers/channels/python/ ChannelsLayer: python-telegram-bot, twilio, sendgrid (the webhooks and
#                               channel workers), on top of the base layer only, pinned to the API and
#                               agent layers' versions (see PINNED_TO)
#   build/app/                  the project code (every function's CodeUri)
# Then each function's unzipped size (app + its layers) is printed, and the build fails if one passes 220 MB
# (deploy/function_sizes.py; Lambda refuses 250 MB).
# Layers hold arm64 / CPython 3.12 wheels (no Docker needed), from layers/<name>/requirements.txt.
# A distribution appears in one layer only: each layer is resolved with the versions the layers before
# it hold pinned, and what those layers already hold is then taken out of it.
# The app is exactly the packages in APP_PACKAGES. `local/` (the CLI, the local server, the replayed
# feeds) is not among them: it is never shipped, so there is nothing to delete from the copy.
#
# Usage: deploy/package.sh [--app-only]
#   --app-only           build build/app only (no download)
#   PYTHON=/path/python  the interpreter that runs pip (default .venv/bin/python)
#   PARLEY_BUILD_DIR=d   build into d (relative to the repository root) instead of build/, which
#                        template.yaml reads
#   BYTECODE_PYTHON=p    a CPython of the Lambda's version (LAMBDA_PYTHON_VERSION) that compiles the app and
#                        the layers to bytecode (default python3.12; empty: ship sources only, with a warning)
#
# Bytecode ships with the code: /var/task and /opt are read-only in Lambda, so a package without it has every
# cold start compile each module it imports. It is compiled with unchecked-hash invalidation, so it stays valid
# whatever mtimes the zip and Lambda's extraction give the files (nothing edits a deployed source).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APP_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --app-only) APP_ONLY=1 ;;
        -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done

PYTHON="${PYTHON:-.venv/bin/python}"
BUILD_DIR="${PARLEY_BUILD_DIR:-build}"
# Must match Globals.Function.Runtime / Architectures in template.yaml.
LAMBDA_PYTHON_VERSION="3.12"
LAMBDA_PLATFORM="manylinux2014_aarch64"
# In dependency order: a later layer leaves out what an earlier one holds. template.yaml has one
# AWS::Serverless::LayerVersion per name, ContentUri build/layers/<name>/.
LAYERS=(base api agent brokers channels)
# A layer named here is built on top of the listed layers only, not on every layer before it: it leaves
# out what those hold, and a function attaches it after exactly them.
declare -A ON_TOP_OF=([brokers]="base" [channels]="base")
# A layer named here also resolves to the versions the listed layers hold (without leaving their packages
# out): the conversation worker attaches it after base, api and agent, so a package two layers carry must be
# the same version in both.
declare -A PINNED_TO=([channels]="api agent")
# What no function imports, left out of a layer so its functions stay well under Lambda's 250 MB: CCXT's asyncio,
# websocket (pro) and prediction-market copies of its exchanges and its tests (infra/brokers/exchange.py imports the
# synchronous ccxt, whose package imports none of them), pandas' own test suite, and uvloop (the asyncio event
# loop only those copies could use). tests/infra/test_function_sizes.py checks the adapters load none of them.
declare -A LEAVE_OUT_PATHS=([brokers]="ccxt/async_support ccxt/pro ccxt/prediction ccxt/test pandas/tests")
declare -A LEAVE_OUT_DISTRIBUTIONS=([brokers]="uvloop")
APP_DIR="$BUILD_DIR/app"
APP_PACKAGES=(core agent channels functions infra)
# The Lambda Python runtime ships these; a copy in a layer would shadow the runtime's own.
# (aws-xray-sdk, behind Powertools' tracer extra, depends on botocore.)
RUNTIME_PROVIDED=(boto3 botocore s3transfer)
BYTECODE_PYTHON="${BYTECODE_PYTHON-python3.${LAMBDA_PYTHON_VERSION#3.}}"

# compile_bytecode DIR: compile every .py under DIR for the Lambda's Python, unchecked-hash (see the header).
# An interpreter of another version is refused: its bytecode would be ignored, and every cold start compile.
compile_bytecode() {
    if [[ -z "$BYTECODE_PYTHON" ]]; then
        echo "    warning: BYTECODE_PYTHON is empty: $1 ships without bytecode" >&2
        return
    fi
    if ! command -v "$BYTECODE_PYTHON" > /dev/null || ! "$BYTECODE_PYTHON" -c pass 2> /dev/null; then
        echo "    warning: no $BYTECODE_PYTHON here: $1 ships without bytecode (set BYTECODE_PYTHON)" >&2
        return
    fi
    local version
    version=$("$BYTECODE_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    if [[ "$version" != "$LAMBDA_PYTHON_VERSION" ]]; then
        echo "error: BYTECODE_PYTHON $BYTECODE_PYTHON is Python $version; the functions run $LAMBDA_PYTHON_VERSION" >&2
        exit 1
    fi
    "$BYTECODE_PYTHON" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$1" > /dev/null
}

# drop_distributions TARGET NAME...: remove installed distributions from a --target folder, file by
# file as their RECORD lists them (so a shared namespace folder keeps the other distributions' files).
drop_distributions() {
    "$PYTHON" - "$@" <<'PY'
import csv
import re
import shutil
import sys
from pathlib import Path

target = Path(sys.argv[1]).resolve()
names = {re.sub(r"[-_.]+", "-", n).lower() for n in sys.argv[2:]}
for info in sorted(target.glob("*.dist-info")):
    name = re.sub(r"[-_.]+", "-", info.name[: -len(".dist-info")].rsplit("-", 1)[0]).lower()
    if name not in names:
        continue
    folders = set()
    with open(info / "RECORD", newline="") as record:
        for row in csv.reader(record):
            path = (target / row[0]).resolve() if row else target
            if path.is_relative_to(target) and path.is_file():
                path.unlink()
                folders.update(p for p in path.parents if p != target and p.is_relative_to(target))
    shutil.rmtree(info, ignore_errors=True)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if not folder.is_dir():
            continue
        leftovers = [p for p in folder.iterdir() if p.name != "__pycache__"]
        if not leftovers:
            shutil.rmtree(folder)
PY
}

# distributions DIR...: the normalised names of the distributions installed in the given folders.
distributions() {
    local dir info
    for dir in "$@"; do
        for info in "$dir"/*.dist-info; do
            if [[ -d "$info" ]]; then basename "$info"; fi
        done
    done | sed -E 's/-[^-]+\.dist-info$//; s/[-_.]+/-/g' | tr '[:upper:]' '[:lower:]' | LC_ALL=C sort -u
}

# distributions_with_versions DIR: name==version of each distribution installed in DIR.
distributions_with_versions() {
    local info
    for info in "$1"/*.dist-info; do
        if [[ -d "$info" ]]; then basename "$info"; fi
    done | sed -E 's/^(.+)-([^-]+)\.dist-info$/\1==\2/'
}

build_layers() {
    local constraints="$BUILD_DIR/layers/constraints.txt"
    local earlier=()
    rm -rf "$BUILD_DIR/layers"
    mkdir -p "$BUILD_DIR/layers"
    : > "$constraints"
    for layer in "${LAYERS[@]}"; do
        local requirements="layers/$layer/requirements.txt"
        local target="$BUILD_DIR/layers/$layer/python"
        if [[ -n "${ON_TOP_OF[$layer]:-}" ]]; then
            # Built on the named layers only: their pins and their contents, not every earlier layer's.
            earlier=()
            : > "$constraints"
            for below in ${ON_TOP_OF[$layer]}; do
                earlier+=("$BUILD_DIR/layers/$below/python")
                distributions_with_versions "$BUILD_DIR/layers/$below/python" >> "$constraints"
            done
            for pinned in ${PINNED_TO[$layer]:-}; do
                distributions_with_versions "$BUILD_DIR/layers/$pinned/python" >> "$constraints"
            done
        fi
        if [[ ! -f "$requirements" ]]; then
            echo "error: $requirements is missing" >&2
            exit 1
        fi
        mkdir -p "$target"
        echo "==> layer $layer: installing $requirements for cp${LAMBDA_PYTHON_VERSION/./} $LAMBDA_PLATFORM"
        "$PYTHON" -m pip install \
            --quiet \
            --disable-pip-version-check \
            --no-compile \
            --no-warn-conflicts \
            --platform "$LAMBDA_PLATFORM" \
            --implementation cp \
            --python-version "$LAMBDA_PYTHON_VERSION" \
            --only-binary=:all: \
            --target "$target" \
            --constraint "$constraints" \
            -r "$requirements"
        drop_distributions "$target" "${RUNTIME_PROVIDED[@]}"
        if [[ ${#earlier[@]} -gt 0 ]]; then
            local shared
            shared=$(LC_ALL=C comm -12 <(distributions "$target") <(distributions "${earlier[@]}") | tr '\n' ' ')
            if [[ -n "${shared// /}" ]]; then
                echo "    already in an earlier layer, left out: $shared"
                # shellcheck disable=SC2086  # one word per distribution name
                drop_distributions "$target" $shared
            fi
        fi
        if [[ -n "${LEAVE_OUT_DISTRIBUTIONS[$layer]:-}${LEAVE_OUT_PATHS[$layer]:-}" ]]; then
            echo "    never imported, left out: ${LEAVE_OUT_DISTRIBUTIONS[$layer]:-} ${LEAVE_OUT_PATHS[$layer]:-}"
        fi
        if [[ -n "${LEAVE_OUT_DISTRIBUTIONS[$layer]:-}" ]]; then
            # shellcheck disable=SC2086  # one word per distribution name
            drop_distributions "$target" ${LEAVE_OUT_DISTRIBUTIONS[$layer]}
        fi
        for path in ${LEAVE_OUT_PATHS[$layer]:-}; do
            rm -rf "${target:?}/$path"
        done
        rm -rf "${target:?}/bin"
        find "$target" -type d -name __pycache__ -prune -exec rm -rf {} +
        compile_bytecode "$target"
        # Pin what this layer holds, so a later layer resolves to the same versions and can rely on it.
        distributions_with_versions "$target" >> "$constraints"
        earlier+=("$target")
    done
    rm -f "$constraints"
}

build_app() {
    rm -rf "$APP_DIR"
    mkdir -p "$APP_DIR"
    echo "==> app: copying ${APP_PACKAGES[*]} (those that exist)"
    copied=()
    for pkg in "${APP_PACKAGES[@]}"; do
        if [[ -d "$pkg" ]]; then
            cp -R "$pkg" "$APP_DIR/"
            copied+=("$pkg")
        fi
    done
    if [[ ${#copied[@]} -eq 0 ]]; then
        echo "error: none of ${APP_PACKAGES[*]} exists; run from a Parley checkout" >&2
        exit 1
    fi
    # Bytecode only; folders that held nothing else (left behind by a package move) go with it.
    find "$APP_DIR" -type d -name __pycache__ -prune -exec rm -rf {} +
    find "$APP_DIR" -type f -name '*.py[co]' -delete
    find "$APP_DIR" -mindepth 1 -type d -empty -delete
    compile_bytecode "$APP_DIR"
}

if [[ $APP_ONLY -eq 0 ]]; then
    build_layers
fi
build_app

echo "==> summary"
if [[ $APP_ONLY -eq 0 ]]; then
    for layer in "${LAYERS[@]}"; do
        dir="$BUILD_DIR/layers/$layer"
        count=$(find "$dir/python" -mindepth 1 -maxdepth 1 -name '*.dist-info' | wc -l | tr -d ' ')
        printf 'layer %-6s %6s  %s distributions\n' "$layer" "$(du -sh "$dir" | cut -f1)" "$count"
    done
fi
printf 'app          %6s  packages: %s\n' "$(du -sh "$APP_DIR" | cut -f1)" "${copied[*]}"
if [[ $APP_ONLY -eq 0 ]]; then
    # Each function's unzipped size (app + its layers); fails the build above the limit (Lambda refuses 250 MB).
    "$PYTHON" deploy/function_sizes.py "$BUILD_DIR"
fi
