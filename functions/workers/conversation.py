"""Lambda entry point for the conversation worker: the conversation queue (SQS FIFO) -> answers on the channel
each message came from. See functions/workers/channels.py."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions.observability import capture_lambda_handler
from functions.workers.channels import ConversationWorker
from infra.bootstrap import build_platform

logger = Logger()
metrics = Metrics()
worker = ConversationWorker(build_platform(), logger)


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    response = worker.handle(event, context)
    metrics.add_metric(name="MessagesAnswered", unit=MetricUnit.Count,
                       value=len(event.get("Records", [])) - len(response["batchItemFailures"]))
    return response
