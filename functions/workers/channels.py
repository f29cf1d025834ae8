"""The two channel workers' record handling, shared by their Lambda entry points and the local platform.

``ConversationWorker`` answers the conversation queue (SQS FIFO): one accepted message a record, answered once
(core.usecases.inbox.answer). ``NotifyWorker`` delivers the notify queue: one notification a record
(core.usecases.delivery.notify). Both report partial batch failures through Powertools; on the FIFO queue a
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
from pydantic import ValidationError

from core.channels import Inbound
from core.notifications import Notification
from core.usecases import delivery, inbox
from infra.bootstrap import Platform


class ConversationWorker:
    def __init__(self, platform: Platform, logger: logging.Logger | Any) -> None:
        self.platform = platform
        self.logger = logger
        self.processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        # A batch that failed whole is reported record by record, like any partial failure, not raised: the
        # queue retries exactly those, and the function's error alarm is kept for real crashes.
        self.processor.raise_on_entire_batch_failure = False
        self.answered = 0

    def handle(self, event: dict, context: Any = None) -> dict:
        return dict(process_partial_response(event, self._record, self.processor, context))

    def _record(self, record: SQSRecord) -> None:
        try:
            message = Inbound.model_validate_json(record.body)
        except ValidationError:
            self.logger.warning("poison conversation message dropped", extra={"message_id": record.message_id})
            return
        self.answer(message)

    def answer(self, message: Inbound) -> None:
        from agent.conversation import asks_only  # the agent package, on the first message only

        platform = self.platform
        sent = inbox.answer(platform.deps, platform.senders, message, platform.conversation.converse, asks_only)
        self.answered += 1
        self.logger.info("answered", extra={"channel": message.channel.value, "replies": len(sent)})


class NotifyWorker:
    def __init__(self, platform: Platform, logger: logging.Logger | Any) -> None:
        self.platform = platform
        self.logger = logger
        self.processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def handle(self, event: dict, context: Any = None) -> dict:
        return dict(process_partial_response(event, self._record, self.processor, context))

    def _record(self, record: SQSRecord) -> None:
        try:
            notification = Notification.model_validate_json(record.body)
        except ValidationError:
            self.logger.warning("poison notification dropped", extra={"message_id": record.message_id})
            return
        self.deliver(notification)

    def deliver(self, notification: Notification) -> delivery.Outcome:
        outcome = delivery.notify(self.platform.deps, self.platform.senders, notification)
        self.logger.info("notification", extra={
            "notification_id": notification.id, "kind": notification.kind.value, "held": outcome.held,
            "channel": outcome.sent.channel.value if outcome.sent else None, "failures": outcome.failures,
        })
        return outcome
