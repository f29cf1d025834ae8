#!/usr/bin/env bash
# `make deploy`: from an empty AWS account (credentials and region in the environment) to a running stack.
#   1. deploy/package.sh has built build/ (make deploy runs `make package` first)
#   2. sam deploy (from the virtualenv) with deploy/samconfig.toml, no questions: the change set is applied
#   3. python -m local.deploy: the stack's outputs, /health checked, the next step printed
# The public URL needs no second deploy: the webhooks use the API's own URL unless PublicBaseUrl names a custom
# domain. Another samconfig environment: PARLEY_CONFIG_ENV=prod make deploy.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN="${BIN:-.venv/bin}"
CONFIG_ENV="${PARLEY_CONFIG_ENV:-default}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"

if [[ -z "$REGION" ]]; then
    echo "error: set AWS_REGION (or AWS_DEFAULT_REGION) to the region to deploy to" >&2
    exit 2
fi
if [[ ! -d build/app || ! -d build/layers ]]; then
    echo "error: build/ is missing; run make deploy (it packages first) or make package" >&2
    exit 2
fi

echo "==> sam deploy (stack from deploy/samconfig.toml [$CONFIG_ENV], region $REGION)"
"$BIN/sam" deploy \
    --config-file deploy/samconfig.toml \
    --config-env "$CONFIG_ENV" \
    --region "$REGION" \
    --no-confirm-changeset \
    --no-fail-on-empty-changeset \
    --no-progressbar

echo "==> checking the stack"
AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION" "$BIN/python" -m local.deploy --config-env "$CONFIG_ENV"
