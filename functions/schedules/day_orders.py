"""Lambda entry point for the day-order sweep (every minute): day orders whose session has closed expire now,
whether or not a quote for their symbol arrives, and the closes are recorded for tomorrow's P&L. The schedule's
event carries nothing the sweep needs."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from core.usecases import expire_day_orders, record_session_closes
from functions.observability import capture_lambda_handler
from infra.bootstrap import build_platform

logger = Logger()
metrics = Metrics()
platform = build_platform()


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    expired = expire_day_orders(platform.deps)
    closes = record_session_closes(platform.deps)
    metrics.add_metric(name="DayOrdersExpired", unit=MetricUnit.Count, value=len(expired))
    logger.info("day orders swept", extra={"expired": len(expired), "orders": [o.id for o in expired][:50],
                                           "closes": [c.symbol for c in closes][:50]})
    return {"expired": len(expired), "closes": len(closes)}
