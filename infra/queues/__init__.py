"""Queue adapters: the notify queue (SQS, or in process) and the event stream signals are published to (Kinesis,
or in process), chosen from settings by ``notify_queue`` and ``event_publisher``."""

from __future__ import annotations

from core.ports.channel import InboundQueue
from core.ports.queue import EventPublisher, NotifyQueue
from infra.queues.local import InProcessInbox, InProcessPublisher, InProcessQueue
from infra.settings import Settings


def notify_queue(settings: Settings) -> NotifyQueue:
    if settings.notify_queue_url:
        from infra.queues.sqs import SqsNotifyQueue

        return SqsNotifyQueue(settings.notify_queue_url)
    return InProcessQueue()


def inbound_queue(settings: Settings) -> InboundQueue:
    if settings.conversation_queue_url:
        from infra.queues.sqs import SqsInboundQueue

        return SqsInboundQueue(settings.conversation_queue_url)
    return InProcessInbox()


def event_publisher(settings: Settings) -> EventPublisher:
    if settings.events_stream:
        from infra.queues.kinesis import KinesisPublisher

        return KinesisPublisher(settings.events_stream)
    return InProcessPublisher()


__all__ = ["InProcessInbox", "InProcessPublisher", "InProcessQueue", "event_publisher", "inbound_queue", "notify_queue"]
