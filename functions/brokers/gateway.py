"""Lambda entry point of the broker function: submit, cancel, modify and quote on real venues, for functions
that place orders without the venue adapters (infra/brokers/remote.py says the request and answer)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from functions.observability import capture_lambda_handler
from infra.bootstrap import build_platform
from infra.brokers.remote import serve

logger = Logger()
platform = build_platform()


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def handler(event: dict, context: object) -> dict:
    answer = serve(platform.deps.broker, event, platform.deps.now())
    logger.info("broker request", extra={"op": event.get("op"), "error": answer.get("error", {}).get("code")})
    return answer
