#!/usr/bin/env bash
# Build the two artifacts template.yaml deploys, from the repository root:
#   build/layer/python/  the dependencies layer (arm64 / CPython 3.12 wheels, no Docker needed)
#   build/app/           the project code (the ApiFunction CodeUri)
# Usage: infra/scripts/package.sh        (PYTHON=/path/to/python to pick the interpreter running pip)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PYTHON="${PYTHON:-.venv/bin/python}"
# Must match Globals.Function.Runtime / Architectures in template.yaml.
LAMBDA_PYTHON_VERSION="3.12"
LAMBDA_PLATFORM="manylinux2014_aarch64"
REQUIREMENTS="layers/dependencies/requirements.txt"
LAYER_DIR="build/layer"
APP_DIR="build/app"
APP_PACKAGES=(core agent channels functions infra)
# The Lambda Python runtime ships these; a copy in the layer would shadow the runtime's own.
# (aws-xray-sdk, behind Powertools' tracer extra, depends on botocore.)
RUNTIME_PROVIDED=(boto3 botocore s3transfer)

rm -rf "$LAYER_DIR" "$APP_DIR"
mkdir -p "$LAYER_DIR/python" "$APP_DIR"

echo "==> layer: installing $REQUIREMENTS for cp${LAMBDA_PYTHON_VERSION/./} $LAMBDA_PLATFORM"
"$PYTHON" -m pip install \
    --quiet \
    --disable-pip-version-check \
    --no-compile \
    --no-warn-conflicts \
    --platform "$LAMBDA_PLATFORM" \
    --implementation cp \
    --python-version "$LAMBDA_PYTHON_VERSION" \
    --only-binary=:all: \
    --target "$LAYER_DIR/python" \
    -r "$REQUIREMENTS"

for pkg in "${RUNTIME_PROVIDED[@]}"; do
    rm -rf "${LAYER_DIR:?}/python/${pkg}" "${LAYER_DIR:?}/python/${pkg}"-*.dist-info
done
rm -rf "$LAYER_DIR/python/bin"
find "$LAYER_DIR" -type d -name __pycache__ -prune -exec rm -rf {} +

echo "==> app: copying project packages"
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
# The functions need infra's settings and composition root, not its local server, feeds or scripts.
rm -rf "$APP_DIR/infra/feeds" "$APP_DIR/infra/scripts" "$APP_DIR/infra/local" "$APP_DIR/infra/samconfig.toml"
find "$APP_DIR" -type d -name __pycache__ -prune -exec rm -rf {} +
find "$APP_DIR" -type f -name '*.py[co]' -delete

echo "==> summary"
echo "layer  $(du -sh "$LAYER_DIR" | cut -f1)  $(find "$LAYER_DIR/python" -mindepth 1 -maxdepth 1 -name '*.dist-info' | wc -l | tr -d ' ') distributions"
echo "app    $(du -sh "$APP_DIR" | cut -f1)  packages: ${copied[*]}"
