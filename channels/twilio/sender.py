"""SMS and WhatsApp through Twilio's REST API (the worker answers after the webhook did, so replies are sent
messages, never TwiML).

SMS is kept to as few segments as it can: typographic characters outside the GSM-7 alphabet become plain ones
(one curly quote would force the whole message into UCS-2, 70 characters a segment instead of 160) and markdown
backticks go. A reply's actions become a compact line ("Reply YES 4821 to confirm"), or just their keyword
uppercased where the text already says it. WhatsApp outside its 24-hour window sends the configured approved
template (ContentSid) with the text as its variable, or fails as ``outside_window`` so the next channel is tried.
With a ``status_callback`` URL each message asks Twilio to post its later statuses there (``?message=`` names
Parley's record): failures such as 63016 that Twilio reports only after taking the message
(functions/webhooks/twilio.py, ``/webhooks/twilio/status``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from urllib.parse import urlencode

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from core.channels import Action, Channel, OutboundMessage
from core.ports.channel import DeliveryFailed, Sender
from core.wording.gsm import GSM7, GSM7_EXTENDED, gsm_friendly

TIMEOUT_SECONDS = 10.0
BODY_LIMIT = 1600  # Twilio refuses a longer Body (error 21617); longer text goes as several messages
TEMPLATE_VARIABLE_LIMIT = 1024  # WhatsApp caps a template's body; its variables take no newlines or tabs
OUTSIDE_WINDOW, OPTED_OUT, TOO_MANY_REQUESTS = 63016, 21610, 20429



class TwilioSender(Sender):
    """One Twilio sender for one channel: ``sender`` is a number ("+15550001111"), a Messaging Service SID
    ("MG..."), or for WhatsApp "whatsapp:+15550001111"; ``template_sid`` the approved ContentSid for WhatsApp
    messages outside the 24-hour window; ``status_callback`` the status webhook's URL (empty: none asked)."""

    def __init__(self, channel: Channel, account_sid: str, auth_token: str, sender: str, *,
                 template_sid: str = "", status_callback: str = "", client: Client | None = None) -> None:
        if channel not in (Channel.SMS, Channel.WHATSAPP):
            raise ValueError(f"Twilio sends SMS and WhatsApp, not {channel.value}")
        self.channel = channel
        self.sender = sender
        self.template_sid = template_sid
        self.status_callback = status_callback
        self.client = client or Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS))

    def send(self, message: OutboundMessage) -> str:
        """The message SID (several, comma-separated, when a long text went as more than one message)."""
        origin = {"messaging_service_sid": self.sender} if self.sender.startswith("MG") else {"from_": self.sender}
        to = self._address(message.to)
        if self.status_callback:
            origin["status_callback"] = f"{self.status_callback}?{urlencode({'message': message.id})}"
        if message.template:
            if not self.template_sid:
                raise DeliveryFailed(f"WhatsApp to {to} is outside the 24-hour window and no template is set.",
                                     reason="outside_window")
            variable = " ".join(message.text.split())[:TEMPLATE_VARIABLE_LIMIT]
            return self._create(to=to, content_sid=self.template_sid,
                                content_variables=json.dumps({"1": variable}), **origin)
        text = with_actions(message.text, message.actions)
        if self.channel is Channel.SMS:
            text = gsm_friendly(text)
        return ",".join(self._create(to=to, body=part, **origin) for part in split(text, BODY_LIMIT))

    def _address(self, to: str) -> str:
        if self.channel is Channel.WHATSAPP and not to.startswith("whatsapp:"):
            return f"whatsapp:{to}"
        return to

    def _create(self, **fields: str) -> str:
        try:
            return str(self.client.messages.create(**fields).sid)
        except TwilioException as error:
            raise failure(error) from error
        except requests.RequestException as error:
            raise DeliveryFailed(f"Twilio could not be reached: {error}", reason="unavailable") from error


def failure(error: TwilioException) -> DeliveryFailed:
    """Twilio's answer as the port's reason: the number opted out, the WhatsApp window closed, Twilio busy or
    down (another try or channel may work), or this message refused."""
    code, status = getattr(error, "code", None), int(getattr(error, "status", 0) or 0)
    if code == OUTSIDE_WINDOW:
        reason = "outside_window"
    elif code == OPTED_OUT:
        reason = "opted_out"
    elif code == TOO_MANY_REQUESTS or status == 429 or status >= 500 or status == 0:
        reason = "unavailable"
    else:
        reason = "rejected"
    detail = getattr(error, "msg", None) or getattr(error, "detail", None) or getattr(error, "title", "") or str(error)
    return DeliveryFailed(f"Twilio error {code}: {detail}", reason=reason, twilio_code=code, status=status)


def with_actions(text: str, actions: Iterable[Action]) -> str:
    """The actions as words to reply: a command the text already names gets its keyword uppercased ("yes 4821"
    -> "YES 4821", "or no to cancel" -> "or NO to cancel"); the others are listed on one line at the end."""
    missing = []
    for action in actions:
        keyword, _, rest = action.command.strip().partition(" ")
        loud = f"{keyword.upper()} {rest}".strip()
        named = ((re.escape(action.command.strip()), loud), (rf"{re.escape(keyword)}(?= to\b)", keyword.upper()))
        for said, spoken in named:
            pattern = re.compile(rf"(?<![\w]){said}(?![\w])", re.IGNORECASE)
            if pattern.search(text):
                text = pattern.sub(spoken, text, count=1)
                break
        else:
            missing.append(f"{loud} to {action.label.lower()}")
    return f"{text}\nReply {', '.join(missing)}." if missing else text


def segments(text: str) -> int:
    """How many SMS segments ``text`` costs: 160 GSM-7 septets in one, 153 a part once split; UCS-2 70, 67."""
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        septets = len(text) + sum(c in GSM7_EXTENDED for c in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def split(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at a line break, else a space, where there is one."""
    parts = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*parts, text]
