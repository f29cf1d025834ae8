"""Lambda entry point for POST /webhooks/signals/{source} (API Gateway HTTP API, payload v2)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from functions.observability import capture_lambda_handler
from functions.webhooks.receive import respond
from infra.bootstrap import build_platform

logger = Logger()
metrics = Metrics()
platform = build_platform()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    response = respond(platform, event)
    status = response["statusCode"]
    metrics.add_metric(name="SignalsAccepted" if status == 202 else "SignalsRefused", unit=MetricUnit.Count, value=1)
    logger.info("signal", extra={"status": status, "source": (event.get("pathParameters") or {}).get("source")})
    return response
