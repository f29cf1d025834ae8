"""Messenger channels as the domain sees them: who wrote (a contact), what they wrote (an inbound message), what
Parley sends back (an outbound message with its buttons), and how each trader wants to be reached.

A contact is one sender on one channel (a Telegram chat id, a phone number, an email address). It belongs to
an account only once the trader has linked it with a one-time code; until then it gets one onboarding reply.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

LINK_CODE_TTL = timedelta(minutes=10)
CUT_MARK = "... [cut]"


class Channel(StrEnum):
    TELEGRAM = "telegram"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (a channel policy's ``max_length``), marked as cut; unchanged when it
    fits."""
    return text if len(text) <= limit else text[: limit - len(CUT_MARK)].rstrip() + CUT_MARK


class Action(BaseModel):
    """A button under a reply: pressing it sends ``command`` back, as if the trader had typed it."""

    model_config = ConfigDict(defer_build=True)

    label: str
    command: str = Field(description="The text to send back when the button is pressed.")


class Inbound(BaseModel):
    """One message a webhook accepted, as the conversation queue carries it.

    ``id`` is the provider's dedup key (``telegram:<update_id>``, ``sms:<MessageSid>``, ``email:<Message-Id>``).
    ``verified`` is False for an email whose SPF or DKIM did not pass: it may ask, never trade. ``context``
    holds what the reply needs on that channel (a Telegram callback id and ticket message, an email subject).
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str = Field(min_length=1, max_length=300)
    channel: Channel
    sender: str = Field(min_length=1, max_length=320)
    text: str
    received_at: AwareDatetime
    verified: bool = True
    context: dict[str, str] = Field(default_factory=dict)

    @property
    def thread(self) -> str:
        return f"{self.channel.value}:{self.sender}"


class Contact(BaseModel):
    """A sender on a channel; versioned (insert at version 0, then optimistic updates)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    channel: Channel
    address: str
    account_id: str | None = None
    linked_at: AwareDatetime | None = None
    opted_out: bool = False  # SMS/WhatsApp STOP, or the provider said the number opted out
    onboarded: bool = False  # an unlinked sender is told how to link once, then ignored
    last_inbound_at: AwareDatetime | None = None
    wrong_codes: list[AwareDatetime] = Field(default_factory=list)  # when it sent a bad link code, last hour only
    version: int = 0


class LinkCode(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    code: str
    account_id: str
    expires_at: AwareDatetime


class MessageStatus(StrEnum):
    QUEUED = "queued"  # recorded, not yet handed to the provider
    SENT = "sent"  # the provider took it
    DELIVERED = "delivered"  # the provider says it arrived (SendGrid's event webhook)
    FAILED = "failed"
    LOCAL = "local"  # no provider configured: kept in the outbox only (the local platform)
    HELD = "held"  # a notification waiting out the trader's quiet hours (until ``held_until``)


class OutboundMessage(BaseModel):
    """A message Parley sends, recorded before it is sent (its id is derived from its cause, so a retried
    cause finds it and does not send twice)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str
    channel: Channel
    to: str
    text: str
    html: str = ""  # the same words marked up, where the channel takes HTML and the wording made it (Telegram, email)
    actions: list[Action] = Field(default_factory=list)
    subject: str = ""
    account_id: str | None = None
    cause: str = ""  # the inbound message or notification id it answers
    template: bool = False  # a WhatsApp message outside the 24 h window: only an approved template may go
    held_until: AwareDatetime | None = None  # a held notification goes out at this time (quiet hours end)
    status: MessageStatus = MessageStatus.QUEUED
    provider_id: str = ""
    error: str = ""
    context: dict[str, str] = Field(default_factory=dict)
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None

    def outbox_line(self) -> dict[str, Any]:
        """What `parley outbox --json` prints for it."""
        return {
            "id": self.id, "channel": self.channel.value, "to": self.to, "text": self.text,
            "actions": [action.model_dump() for action in self.actions], "subject": self.subject,
            "status": self.status.value, "created_at": self.created_at.isoformat(),
        }


class QuietHours(BaseModel):
    """Non-urgent notifications wait out these hours (local time in ``tz``); ``start`` > ``end`` spans midnight."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    start: time
    end: time
    tz: str = "UTC"

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def covers(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.tz)).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` outside the quiet hours."""
        zone = ZoneInfo(self.tz)
        local = moment.astimezone(zone)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(moment.tzinfo)


class Preferences(BaseModel):
    """Where a trader's notifications go, in order, and when they may wait."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    channels: list[Channel] = Field(default_factory=lambda: list(Channel))
    quiet_hours: QuietHours | None = None

    @field_validator("channels")
    @classmethod
    def _each_once(cls, value: list[Channel]) -> list[Channel]:
        if len(set(value)) != len(value):
            raise ValueError("name each channel once")
        return value
