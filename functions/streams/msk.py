"""Lambda entry point for the MSK consumer: the Kafka topics of docs/architecture.md, one envelope per record."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from functions.observability import capture_lambda_handler
from functions.streams.consumer import StreamConsumer
from infra.bootstrap import build_platform

logger = Logger()
metrics = Metrics()
consumer = StreamConsumer.msk(build_platform(), logger, metrics)


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return consumer.handle(event, context)
