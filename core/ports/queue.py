"""Queue ports: the notify queue the outbox relay feeds, and the stream that accepted events are published to.

SQS and Kinesis in AWS (infra/queues), in-process stand-ins locally.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from core.envelope import Envelope
from core.notifications import Notification


class NotifyQueue(ABC):
    @abstractmethod
    def send(self, notifications: list[Notification], *, again: str = "") -> list[str]:
        """Put ``notifications`` on the queue; returns the ids it accepted (the others are retried later).
        A notification may be put twice (a relay that stopped before marking it sent): consumers drop repeats
        by id. ``again`` names a deliberate second round (a channel that failed after the first): the queue's
        deduplication takes the notification once more for each distinct ``again``."""


class EventPublisher(ABC):
    @abstractmethod
    def publish(self, envelope: Envelope) -> None:
        """Put one envelope on the event stream; raises StoreError if it could not."""
