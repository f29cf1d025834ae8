"""Lambda entry point for the sweep schedule (every minute): notifications still unsent a minute after they were
written (the relay was unavailable) go on the notify queue now, and so do those whose trader's quiet hours
have ended (held by the notify worker until then)."""

from __future__ import annotations

from datetime import timedelta

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from core.usecases.messaging import relay_notifications, release_held
from functions.observability import capture_lambda_handler
from infra.bootstrap import build_platform

logger = Logger()
metrics = Metrics()
platform = build_platform()
STRAGGLER = timedelta(minutes=1)


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    relayed = relay_notifications(platform.deps, platform.notify_queue, older_than=STRAGGLER)
    released = release_held(platform.deps, platform.notify_queue)
    metrics.add_metric(name="NotificationsSwept", unit=MetricUnit.Count, value=relayed)
    metrics.add_metric(name="NotificationsReleased", unit=MetricUnit.Count, value=released)
    logger.info("sweep", extra={"relayed": relayed, "released": released})
    return {"relayed": relayed, "released": released}
