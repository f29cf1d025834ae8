"""Lambda entry point for the notify worker: the notify queue -> each trader's channels in preference order.
A notification no channel took is a batch item failure; after the queue's retries it lands in the DLQ, whose
depth alarms (template.yaml). See functions/workers/channels.py."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions.observability import capture_lambda_handler
from functions.workers.channels import NotifyWorker
from infra.bootstrap import build_platform

logger = Logger()
metrics = Metrics()
worker = NotifyWorker(build_platform(), logger)


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    response = worker.handle(event, context)
    metrics.add_metric(name="NotificationsDelivered", unit=MetricUnit.Count,
                       value=len(event.get("Records", [])) - len(response["batchItemFailures"]))
    return response
