"""Twilio as the tests meet it: the form an inbound SMS or WhatsApp message posts (the fields Twilio sends),
signed with RequestValidator as Twilio signs it, as an API Gateway HTTP API event or a local request; and the
JSON Twilio's Messages API answers, success and errors alike."""

from __future__ import annotations

import base64
import itertools
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from core.channels import Channel
from tests.channels.harness import PUBLIC_BASE_URL, TWILIO_TOKEN

ACCOUNT_SID = "AC3f1a2b4c5d6e7f8091a2b3c4d5e6f708"
OUR_NUMBER = "+15005550006"
OUR_WHATSAPP = "whatsapp:+14155238886"
TRADER = "+447700900123"
TRADER_WHATSAPP = "whatsapp:+447700900123"
TEMPLATE_SID = "HXb5b62575e6e4ff6129ad7c8efe1f983e"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
PATHS = {Channel.SMS: "/webhooks/twilio/sms", Channel.WHATSAPP: "/webhooks/twilio/whatsapp"}
_sids = itertools.count(1)


def message_sid() -> str:
    return f"SM{next(_sids):032x}"


def inbound_form(channel: Channel, text: str, sender: str, sid: str | None = None) -> dict[str, str]:
    """The fields of Twilio's "A message comes in" request for one text message."""
    sid = sid or message_sid()
    form = {
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "", "FromZip": "",
        "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "", "Body": text, "FromCountry": "GB",
        "To": OUR_NUMBER, "ToZip": "", "NumSegments": "1", "MessageSid": sid, "AccountSid": ACCOUNT_SID,
        "From": sender, "ApiVersion": "2010-04-01",
    }
    if channel is Channel.WHATSAPP:
        form |= {"To": OUR_WHATSAPP, "ProfileName": "Alice", "WaId": sender.removeprefix("whatsapp:+"),
                 "MessageType": "text", "ReferralNumMedia": "0"}
    return form


def signature(path: str, form: dict[str, str], token: str = TWILIO_TOKEN, query: str = "") -> str:
    url = f"{PUBLIC_BASE_URL}{path}" + (f"?{query}" if query else "")
    return RequestValidator(token).compute_signature(url, form)


def http_event(path: str, form: dict[str, str], signed: str | None, *, query: str = "",
               body: str | None = None) -> dict[str, Any]:
    """The event API Gateway's HTTP API hands the webhook function for Twilio's POST."""
    raw = body if body is not None else urlencode(form)
    headers = {"content-type": "application/x-www-form-urlencoded", "host": "parley.example.com",
               "user-agent": "TwilioProxy/1.1", "i-twilio-idempotency-token": "3f0b3d1c-5d7e-4f6a-9b1c-2e8d7a6f5c4b",
               "x-forwarded-proto": "https", "content-length": str(len(raw))}
    if signed is not None:
        headers["x-twilio-signature"] = signed
    return {
        "version": "2.0", "routeKey": f"POST {path}", "rawPath": path, "rawQueryString": query, "headers": headers,
        "requestContext": {"http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "54.172.60.1", "userAgent": "TwilioProxy/1.1"},
                           "routeKey": f"POST {path}", "stage": "$default", "requestId": "Twilio1"},
        "body": base64.b64encode(raw.encode()).decode(), "isBase64Encoded": True,
    }


def sent_message(to: str, body: str, sender: str = OUR_NUMBER, sid: str = "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0",
                 **fields: Any) -> dict[str, Any]:
    """Twilio's 201 answer to a Messages create."""
    uri = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}"
    return {
        "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": body,
        "date_created": "Fri, 27 Nov 2026 15:00:01 +0000", "date_sent": None,
        "date_updated": "Fri, 27 Nov 2026 15:00:01 +0000", "direction": "outbound-api", "error_code": None,
        "error_message": None, "from": sender, "messaging_service_sid": None, "num_media": "0",
        "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid, "status": "queued",
        "subresource_uris": {"media": f"{uri}/Media.json"}, "to": to, "uri": f"{uri}.json", **fields,
    }


ERRORS = {
    21610: (400, "Attempt to send to unsubscribed recipient"),
    63016: (400, "Failed to send freeform message because you are outside the allowed window. If you are using "
                 "WhatsApp, please use a Message Template."),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    21211: (400, "Invalid 'To' Phone Number: +4477009001"),
}


def twilio_error(code: int) -> tuple[int, dict[str, Any]]:
    """Twilio's error answer: its HTTP status and JSON body."""
    status, message = ERRORS[code]
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status}


STATUS_PATH = "/webhooks/twilio/status"


def status_form(channel: Channel, sid: str, status: str, to: str, error_code: str = "") -> dict[str, str]:
    """The fields of Twilio's status callback for one message Parley sent (``error_code`` on failed and
    undelivered), as Twilio posts them for SMS and for WhatsApp."""
    form = {"SmsSid": sid, "SmsStatus": status, "MessageStatus": status, "To": to, "MessageSid": sid,
            "AccountSid": ACCOUNT_SID, "From": OUR_NUMBER, "ApiVersion": "2010-04-01"}
    if channel is Channel.WHATSAPP:
        form |= {"From": OUR_WHATSAPP, "ChannelPrefix": "whatsapp", "StructuredMessage": "false",
                 "ChannelInstallSid": "XE5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
                 "ChannelToAddress": to.removeprefix("whatsapp:")}
    if error_code:
        form["ErrorCode"] = error_code
    return form
