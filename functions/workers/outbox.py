"""Lambda entry point for the outbox relay: the table's DynamoDB stream, filtered to notification inserts,
puts each new notification on the notify queue and marks it sent. A notification the queue did not take is a
batch item failure, retried; the queue drops a repeat by its id."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.errors import StoreError
from core.notifications import Notification
from core.usecases.messaging import send_notifications
from functions.observability import capture_lambda_handler
from functions.streams.batch import BatchedProcessor
from infra.bootstrap import build_platform
from infra.stores.codec import load

logger = Logger()
metrics = Metrics()
platform = build_platform()


def unsent(record: DynamoDBRecord) -> Notification | None:
    """The notification a stream record carries, if it is one still waiting to be sent."""
    image: dict[str, Any] = record.dynamodb.new_image if record.dynamodb else {}
    if not str(image.get("PK", "")).startswith("NOTIFICATION#") or image.get("GSI2PK") != "OUTBOX":
        return None
    return load(Notification, image["data"])


def relay(notifications: list[Notification]) -> set[int]:
    try:
        sent = send_notifications(platform.deps, platform.notify_queue, notifications)
    except StoreError:
        logger.warning("notify queue unavailable", extra={"waiting": len(notifications)})
        return set(range(len(notifications)))
    metrics.add_metric(name="NotificationsRelayed", unit=MetricUnit.Count, value=len(sent))
    return {i for i, notification in enumerate(notifications) if notification.id not in sent}


processor = BatchedProcessor(EventType.DynamoDBStreams, relay)


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    metrics.add_metric(name="OutboxRecords", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    return dict(process_partial_response(event, unsent, processor, context))
