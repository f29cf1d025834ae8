"""SendGrid's webhooks read. An email as Inbound Parse posts it (multipart/form-data, parsed with the standard
library's ``email`` package), read into an Inbound: who wrote, what they wrote above the quoted thread and
signature, and whether their domain vouched for it (SPF and DKIM aligned with the From address, else ``verified``
is False and the trader may only ask questions). The checks: the URL's token, and the ECDSA signature of the
signed webhooks (Inbound Parse's security policy, the Event Webhook); and the Event Webhook's events read into
the receipts they report.

Standard library only at import: the webhook imports this on every cold start, and sendgrid's verification
helper only when a signature is checked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesParser, HeaderParser
from email.policy import compat32
from email.utils import parseaddr
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from pydantic import ValidationError

from channels.verify import same_secret
from core.channels import Channel, Inbound, MessageStatus
from core.signals import fresh

if TYPE_CHECKING:
    from sendgrid.helpers.eventwebhook import EventWebhook

SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
CUSTOM_ARG = "parley_message_id"  # set on every email by channels/sendgrid/sender.py, read back from its events
RECEIPTS = {"delivered": MessageStatus.DELIVERED, "bounce": MessageStatus.FAILED, "dropped": MessageStatus.FAILED}
ID_MAX = 290  # Inbound.id holds 300 characters, "email:" included
DKIM_RESULT = re.compile(r"@([A-Za-z0-9.-]+)\s*:\s*([A-Za-z]+)")
ATTRIBUTION = re.compile(r"^On\b.*\bwrote:$", re.IGNORECASE)  # "On Tue, 27 Nov 2026 ... Alice <a@x> wrote:"
QUOTE_HEADERS = ("-----Original Message-----", "________________________________")
AUTORESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
MAIL_SYSTEMS = {"mailer-daemon", "postmaster", "listserv", "majordomo", "noreply", "no-reply", "donotreply"}
SIGNATURE = re.compile(r"^(-- ?|Sent from my .*|Get Outlook for .*)$", re.IGNORECASE)


class MalformedEmail(ValueError):
    """The post is not an Inbound Parse form Parley can answer (no form, no sender address)."""


def form_fields(raw: bytes, content_type: str) -> dict[str, str]:
    """The text fields of a multipart/form-data body (attachments are skipped), decoded with the charsets
    SendGrid names in its ``charsets`` field (UTF-8 otherwise)."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type.lower():
        raise MalformedEmail("Expected multipart/form-data with a boundary.")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    # compat32 reads parameters with plain string handling: the modern policy's header objects cost about
    # ten times as much on every field of the form
    message = BytesParser(policy=compat32).parsebytes(head + raw)
    if not message.is_multipart():
        raise MalformedEmail("The multipart body could not be read.")
    payloads: dict[str, bytes] = {}
    for part in message.get_payload():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename():
            continue
        payloads[name] = part.get_payload(decode=True) or b""
    charsets = _charsets(payloads.get("charsets", b""))
    return {name: _decode(value, charsets.get(name, "utf-8")) for name, value in payloads.items()}


def read_inbound(fields: dict[str, str], received_at: datetime) -> Inbound:
    sender = parseaddr(fields.get("from", ""))[1].strip().lower()
    if "@" not in sender:
        raise MalformedEmail("The email has no sender address.")
    headers = HeaderParser().parsestr(fields.get("headers", ""))
    message_id = (headers.get("Message-Id") or "").strip()
    subject = fields.get("subject", "").strip()
    text = fields.get("text") or html_text(fields.get("html", ""))
    key = message_id.strip("<>")
    if not key or len(key) > ID_MAX:
        key = hashlib.sha256("\x1f".join((sender, subject, text)).encode()).hexdigest()[:40]
    context = {"subject": subject}
    if message_id:
        context["message_id"] = message_id
    try:
        return Inbound(id=f"email:{key}", channel=Channel.EMAIL, sender=sender, text=reply_text(text),
                       received_at=received_at, verified=authenticated(fields, sender), context=context)
    except ValidationError as exc:  # an address longer than any mailbox can be
        raise MalformedEmail(f"The email cannot be read: {exc.errors()[0]['msg']}.") from None


def automatic(fields: dict[str, str]) -> bool:
    """Was this email sent by a machine, not a person (RFC 3834: never answer those)? An ``Auto-Submitted`` other
    than ``no``, a bulk/list/junk ``Precedence``, a vacation responder's header, a null Return-Path (a bounce),
    or a sender that is a mail system (MAILER-DAEMON, postmaster, list robots)."""
    headers = HeaderParser().parsestr(fields.get("headers", ""))
    submitted = (headers.get("Auto-Submitted") or "no").split(";", 1)[0].strip().lower()
    if submitted != "no" or any(headers.get(name) for name in AUTORESPONDER_HEADERS):
        return True
    if (headers.get("Precedence") or "").strip().lower() in {"bulk", "list", "junk"}:
        return True
    if (headers.get("Return-Path") or "").strip() == "<>":
        return True
    local = parseaddr(fields.get("from", ""))[1].rsplit("@", 1)[0].lower()
    return local in MAIL_SYSTEMS or local.startswith("owner-") or local.endswith("-request")


def authenticated(fields: dict[str, str], sender: str) -> bool:
    """SPF passed for an envelope sender in the From domain, and a DKIM signature of that domain passed
    (relaxed alignment, as DMARC reads it: a parent domain's signature counts for its subdomains)."""
    domain = sender.rsplit("@", 1)[-1]
    if fields.get("SPF", "").strip().lower() != "pass":
        return False
    envelope_from = _envelope_from(fields.get("envelope", ""))
    if envelope_from and not _aligned(envelope_from.rsplit("@", 1)[-1], domain):
        return False
    return any(result.lower() == "pass" and _aligned(signer, domain)
               for signer, result in DKIM_RESULT.findall(fields.get("dkim", "")))


def reply_text(text: str) -> str:
    """What the trader wrote: the lines above the quoted thread and the signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        following = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else stripped
        if stripped.startswith("On ") and (ATTRIBUTION.match(stripped) or ATTRIBUTION.match(following)):
            break
        if stripped in QUOTE_HEADERS or SIGNATURE.match(line.rstrip("\n")) or SIGNATURE.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def html_text(markup: str) -> str:
    """The text of an HTML-only email: tags dropped, blocks on their own lines, entities decoded."""
    reader = _TextOf()
    reader.feed(markup)
    reader.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(reader.parts)).strip()


class _TextOf(HTMLParser):
    BLOCKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "blockquote", "table"}
    HIDDEN = {"style", "script", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.quoted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "blockquote":  # the quoted thread, as mail clients write it in HTML
            self.quoted += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote":
            self.quoted = max(0, self.quoted - 1)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden and not self.quoted:
            self.parts.append(data)


def _aligned(signer: str, domain: str) -> bool:
    signer, domain = signer.lower().rstrip("."), domain.lower().rstrip(".")
    return signer == domain or ("." in signer and domain.endswith("." + signer))


def _envelope_from(envelope: str) -> str:
    try:
        value = json.loads(envelope or "{}").get("from")
    except (ValueError, AttributeError):
        return ""
    return value.strip().lower() if isinstance(value, str) and "@" in value else ""


def _charsets(raw: bytes) -> dict[str, str]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _decode(value: bytes, charset: str) -> str:
    try:
        return value.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return value.decode("utf-8", errors="replace")


def same_token(given: str | None, expected: str | None) -> bool:
    """Does the ``?token=`` of the Inbound Parse URL match the configured one (constant time; none set: no)?"""
    return same_secret(given, expected)


def signed(raw: bytes, signature: str | None, timestamp: str | None, public_key: str, now: datetime) -> bool:
    """Does ``signature`` (base64 ECDSA over timestamp + body) verify with SendGrid's public key, and was it made
    at most five minutes ago (core.signals.fresh)? A captured request is worthless once that has passed."""
    if not signature or not timestamp or not timestamp.strip().isdigit() or not fresh(int(timestamp), now):
        return False
    try:
        verifier = _verifier(public_key)
        try:
            return bool(verifier.verify_signature(raw.decode(), signature, timestamp))
        except UnicodeDecodeError:  # an 8-bit email body: verify the bytes with the helper's key itself
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec

            verifier.public_key.verify(base64.b64decode(signature), timestamp.encode() + raw, ec.ECDSA(hashes.SHA256()))
            return True
    except Exception:  # a malformed signature or key, or InvalidSignature: not verified either way
        return False


@lru_cache(maxsize=4)
def _verifier(public_key: str) -> EventWebhook:
    from sendgrid.helpers.eventwebhook import EventWebhook

    return EventWebhook(public_key)


@dataclass(frozen=True)
class Receipt:
    """One Event Webhook event about a message Parley sent: its id, what became of it, and why it failed."""

    message_id: str
    status: MessageStatus
    error: str = ""


def read_event(item: dict) -> Receipt | None:
    """An event as a Receipt; None for an event that changes nothing (opened, clicked ...) or names no message
    Parley sent."""
    status = RECEIPTS.get(str(item.get("event", "")))
    message_id = item.get(CUSTOM_ARG)
    if status is None or not isinstance(message_id, str) or not message_id:
        return None
    error = ""
    if status is MessageStatus.FAILED:
        error = f"{item['event']}: {item.get('reason') or item.get('status') or 'no reason given'}"
    return Receipt(message_id=message_id, status=status, error=error)
