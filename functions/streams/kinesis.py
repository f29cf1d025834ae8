"""Lambda entry point for the Kinesis consumer: market data, order updates and events on one stream."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from functions.observability import capture_lambda_handler
from functions.streams.consumer import StreamConsumer
from infra.bootstrap import build_platform

logger = Logger()
metrics = Metrics()
consumer = StreamConsumer.kinesis(build_platform(), logger, metrics)


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return consumer.handle(event, context)
