"""Lambda entry point for the REST API: API Gateway HTTP API (payload v2) -> Mangum -> FastAPI."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from mangum import Mangum

from functions.api.app import create_app
from functions.observability import capture_lambda_handler
from infra.bootstrap import build_platform

logger = Logger()
metrics = Metrics()

platform = build_platform()
asgi = Mangum(create_app(platform), lifespan="off")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: object) -> dict:
    response = asgi(event, context)
    _count(event, response.get("statusCode", 500))
    return response


def _count(event: dict, status: int) -> None:
    http = event.get("requestContext", {}).get("http", {})
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    if status >= 500:
        metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
    elif status >= 400:
        metrics.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=1)
    if http.get("method") == "POST" and http.get("path") == "/v1/orders":
        metrics.add_metric(name="OrdersPlaced" if status == 201 else "OrdersRefused", unit=MetricUnit.Count, value=1)
    logger.info("request", extra={"method": http.get("method"), "path": http.get("path"), "status": status})
