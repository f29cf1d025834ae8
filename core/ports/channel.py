"""Channel ports: a sender per messenger (Telegram, Twilio SMS and WhatsApp, SendGrid email, or the local
outbox), and the conversation queue webhooks put accepted messages on (SQS FIFO in AWS, in process locally)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from core.channels import Channel, Inbound, OutboundMessage
from core.errors import ParleyError


class DeliveryFailed(ParleyError):
    """A provider did not take a message. ``reason``: ``opted_out`` (the number said STOP: never again until
    START), ``outside_window`` (WhatsApp free text 24 h after the trader last wrote, no template set),
    ``rejected`` (the provider refused this message), ``unavailable`` (down, throttled, not configured: another
    try or another channel may work)."""

    code = "delivery_failed"

    def __init__(self, message: str, *, reason: str, retry_after: float | None = None, **details: Any) -> None:
        super().__init__(message, reason=reason, **details)
        self.reason = reason
        self.retry_after = retry_after


class Sender(ABC):
    channel: Channel
    local: bool = False  # the local outbox: recorded, never sent anywhere

    @abstractmethod
    def send(self, message: OutboundMessage) -> str:
        """Send ``message``; the provider's message id. DeliveryFailed if the provider did not take it."""

    def acknowledge(self, inbound: Inbound, replies: list[OutboundMessage]) -> None:
        """After answering ``inbound``: what the channel expects beyond the replies (Telegram answers a button
        press and edits the ticket it was under). Nothing by default."""
        return None


Senders = Mapping[Channel, Sender]


class InboundQueue(ABC):
    @abstractmethod
    def send(self, inbound: Inbound) -> None:
        """Put one accepted message on the conversation queue; StoreError if the queue did not take it."""
