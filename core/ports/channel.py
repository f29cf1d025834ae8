"""Channel ports: a sender per messenger (Telegram, Twilio SMS and WhatsApp, SendGrid email, or the local
outbox), the policy of each channel the core asks instead of testing channel names or word lists (keywords,
opt-out, windows, limits), and the conversation queue webhooks put accepted messages on (SQS FIFO in AWS, in
process locally). The adapters are channels/<provider>/{sender,policy}.py."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.channels import Channel, Contact, Inbound, OutboundMessage
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


class Keyword(StrEnum):
    """What a message that is one of a channel's keywords asks for."""

    OPT_OUT = "opt_out"  # never write to this sender again (until it opts in)
    OPT_IN = "opt_in"  # write to this sender again
    HELP = "help"  # answered as usual, with how to opt out added


class OptIn(StrEnum):
    """How a sender who opted out comes back on a channel."""

    KEYWORD = "keyword"  # only by an opt-in keyword; anything else it writes is not answered (carriers' STOP)
    WRITING = "writing"  # by writing at all (a Telegram chat opted out by blocking the bot; writing unblocked it)
    NONE = "none"  # the channel has no opt-out of its own: what a sender writes is answered as usual


class ChannelPolicy(ABC):
    """The rules of one channel, asked by the core: is this text a keyword, how does an opted-out sender come
    back, may free text be sent to this contact now (else only an approved template), how long may one message
    be (longer text is cut before a provider sees it, so a runaway answer costs one message)."""

    channel: Channel
    max_length: int
    opt_in: OptIn = OptIn.NONE

    def keyword(self, text: str) -> Keyword | None:
        """The keyword ``text`` is, matched as the whole message; None if it is none (the default: no keywords)."""
        return None

    def free_text_open(self, contact: Contact, now: datetime) -> bool:
        """May free text go to ``contact`` now? Always, unless the channel has a window (WhatsApp)."""
        return True


Policies = Mapping[Channel, ChannelPolicy]


class InboundQueue(ABC):
    @abstractmethod
    def send(self, inbound: Inbound) -> None:
        """Put one accepted message on the conversation queue; StoreError if the queue did not take it."""
