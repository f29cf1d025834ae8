"""The two channel workers' record handling, shared by their Lambda entry points and the local platform.

``ConversationWorker`` answers the conversation queue (SQS FIFO): one accepted message a record, answered once
(``messaging.answer_message``). ``NotifyWorker`` delivers the notify queue: one notification a record
(``messaging.deliver_notification``). Both report partial batch failures through Powertools; on the FIFO queue a
failed message also fails the rest of its sender's group in the batch, so no reply overtakes another.
A record that is not what the queue carries (a poison message) is logged without its body and dropped: a
retry cannot mend it.
"""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ValidationError

from core.channels import Inbound
from core.notifications import Notification
from core.usecases.messaging import DeliveryOutcome, answer_message, deliver_notification
from infra.bootstrap import Platform


class _QueueWorker:
    """One SQS record a message of ``model``: parsed, then worked on; a record that is not one is dropped."""

    model: type[BaseModel]
    what: str

    def __init__(self, platform: Platform, logger: logging.Logger | Any, processor: BatchProcessor) -> None:
        self.platform = platform
        self.logger = logger
        # A batch that failed whole is reported record by record, like any partial failure, not raised: the
        # queue retries exactly those, and the function's error alarm is kept for real crashes.
        processor.raise_on_entire_batch_failure = False
        self.processor = processor

    def handle(self, event: dict, context: Any = None) -> dict:
        return dict(process_partial_response(event, self._record, self.processor, context))

    def _record(self, record: SQSRecord) -> None:
        try:
            item = self.model.model_validate_json(record.body)
        except ValidationError:
            self.logger.warning(f"poison {self.what} dropped", extra={"message_id": record.message_id})
            return
        self.work(item)

    def work(self, item: Any) -> Any:
        raise NotImplementedError


class ConversationWorker(_QueueWorker):
    model, what = Inbound, "conversation message"

    def __init__(self, platform: Platform, logger: logging.Logger | Any) -> None:
        super().__init__(platform, logger, SqsFifoPartialProcessor(skip_group_on_error=True))

    def work(self, item: Inbound) -> None:
        self.answer(item)

    def answer(self, message: Inbound) -> None:
        platform = self.platform  # its language loads the agent on the first message, not on the cold start
        sent = answer_message(platform.deps, platform.senders, message)
        self.logger.info("answered", extra={"channel": message.channel.value, "replies": len(sent)})


class NotifyWorker(_QueueWorker):
    model, what = Notification, "notification"

    def __init__(self, platform: Platform, logger: logging.Logger | Any) -> None:
        super().__init__(platform, logger, BatchProcessor(event_type=EventType.SQS))

    def work(self, item: Notification) -> None:
        self.deliver(item)

    def deliver(self, notification: Notification) -> DeliveryOutcome:
        outcome = deliver_notification(self.platform.deps, self.platform.senders, notification)
        self.logger.info("notification", extra={
            "notification_id": notification.id, "kind": notification.kind.value, "held": outcome.held,
            "channel": outcome.sent.channel.value if outcome.sent else None, "failures": outcome.failures,
        })
        return outcome
