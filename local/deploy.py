"""The end of `make deploy` (deploy/deploy.sh): read the stack's outputs, wait until the API's /health answers, and
print where things are and the next step. Run as `python -m local.deploy [--stack NAME] [--config-env ENV]`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

import httpx

from core.errors import ParleyError
from local.stack import stack_name, stack_outputs

HEALTH_TRIES = 20  # a new HTTP API answers within seconds; a minute is plenty before saying it does not
HEALTH_PAUSE_SECONDS = 3.0


def healthy(url: str, tries: int = HEALTH_TRIES, pause: float = HEALTH_PAUSE_SECONDS,
            sleep: Callable[[float], None] = time.sleep) -> bool:
    """True once GET ``url`` answers 200, trying ``tries`` times ``pause`` seconds apart."""
    for attempt in range(tries):
        try:
            if httpx.get(url, timeout=10).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if attempt + 1 < tries:
            sleep(pause)
    return False


def summary(stack: str, outputs: dict[str, str], up: bool) -> list[str]:
    """What a person sees when the deploy is done."""
    api = outputs.get("ApiUrl", "").rstrip("/")
    lines = [
        f"stack {stack}: deployed",
        f"  API          {api}/  (/health {'answers 200' if up else 'DOES NOT ANSWER yet'})",
        f"  webhooks     {outputs.get('WebhookBaseUrl', api)}/webhooks/...",
        f"  table        {outputs.get('TableName', '?')}",
    ]
    if not up:
        lines.append(f"check the API function's logs (/aws/lambda/{stack}-api), then curl {api}/health")
        return lines
    lines += [
        "next: connect a Telegram bot (a token from @BotFather):",
        "  .venv/bin/parley secrets set telegram --token <bot token>",
        "  .venv/bin/parley telegram setup",
        "  (twilio, sendgrid, llm and broker keys: .venv/bin/parley secrets set <provider> --help)",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.deploy", description=__doc__)
    parser.add_argument("--stack", default=None, help="default: deploy/samconfig.toml's stack_name")
    parser.add_argument("--config-env", default="default")
    args = parser.parse_args(argv)
    try:
        stack = args.stack or stack_name(env=args.config_env)
        outputs = stack_outputs(stack)
    except ParleyError as exc:
        print(f"deploy: {exc.message}", file=sys.stderr)
        return 2
    up = healthy(outputs["ApiUrl"].rstrip("/") + "/health")
    print("\n".join(summary(stack, outputs, up)))
    return 0 if up else 1


if __name__ == "__main__":
    sys.exit(main())
