"""Twilio's webhooks read: the X-Twilio-Signature check (twilio's RequestValidator over the URL Twilio posted to
and the form fields, with the account's auth token), an incoming SMS or WhatsApp message read into an Inbound,
and a status callback read into the receipt it reports (Twilio's statuses and error codes as Parley's)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from twilio.request_validator import RequestValidator

from core.channels import Channel, Inbound, MessageStatus
from core.errors import InvalidRequest

SIGNATURE_HEADER = "x-twilio-signature"
RECEIPTS = {"delivered": MessageStatus.DELIVERED, "failed": MessageStatus.FAILED,
            "undelivered": MessageStatus.FAILED}
REASONS = {"63016": "outside_window", "21610": "opted_out"}  # as channels/twilio/sender.py names them on a send


def signed(token: str, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    """Twilio signs the URL it called (with its query) and the form fields, with the account's auth token. False
    when no signature, URL or token is there to check."""
    if not signature or not url or not token:
        return False
    return bool(RequestValidator(token).validate(url, dict(params), signature))


def posted_url(base: str, path: str, query: str) -> str:
    """The URL Twilio called: ``base`` (no trailing slash) plus the path and the query it carried; "" with no base."""
    if not base:
        return ""
    return f"{base}{path}?{query}" if query else f"{base}{path}"


def read_message(params: Mapping[str, str], channel: Channel, received_at: datetime) -> Inbound:
    """An incoming message's form as an Inbound (its dedup key the MessageSid). InvalidRequest when a field Twilio
    always sends is missing or malformed, or a WhatsApp sender posts to the SMS webhook (or the other way)."""
    sid, sender = params.get("MessageSid", ""), params.get("From", "")
    if not sid or not sender:
        raise InvalidRequest("MessageSid and From are required.", code="malformed_body")
    if sender.startswith("whatsapp:") != (channel is Channel.WHATSAPP):
        raise InvalidRequest(f"The {channel.value} webhook got a message from {sender!r}.", code="malformed_body")
    try:
        return Inbound(id=f"{channel.value}:{sid}", channel=channel, sender=sender, text=params.get("Body", ""),
                       received_at=received_at)
    except ValidationError:
        raise InvalidRequest("MessageSid or From is not what Twilio sends.", code="malformed_body") from None


@dataclass(frozen=True)
class Receipt:
    """A status callback as Parley records it: ``status`` None for a passing status (queued, sent, read ...);
    ``error`` the reason a failed message failed (Parley's name for Twilio's ErrorCode where it has one)."""

    sid: str
    state: str
    status: MessageStatus | None
    error: str = ""


def read_status(params: Mapping[str, str]) -> Receipt:
    """A status callback's form as a Receipt. InvalidRequest when MessageSid or MessageStatus is missing."""
    sid, state = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or not state:
        raise InvalidRequest("MessageSid and MessageStatus are required.", code="malformed_body")
    status = RECEIPTS.get(state)
    error = ""
    if status is MessageStatus.FAILED:
        code = params.get("ErrorCode", "")
        error = REASONS.get(code) or (f"{state}: {code}" if code else state)
    return Receipt(sid=sid, state=state, status=status, error=error)
