"""SendGrid at the wire, for the email tests.

sendgrid's client sends through urllib (python_http_client builds an opener per call), which respx and
responses do not see, so ``recorded_sendgrid`` swaps in an opener whose HTTPS handler captures each request
and answers with a recorded SendGrid response (urllib's own error processing then raises what it would for a
real 4xx/5xx). ``inbound_form`` builds the multipart/form-data body Inbound Parse posts, and ``EventKeys``
signs bodies the way SendGrid's signed webhooks do (ECDSA P-256 over timestamp + body, base64 DER).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from io import BytesIO
from typing import Any
from urllib.error import URLError
from urllib.request import HTTPSHandler, OpenerDirector, Request, build_opener
from urllib.response import addinfourl

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.channels.harness import SENDGRID_TOKEN
from tests.support import Clock

MAIL_SEND = "https://api.sendgrid.com/v3/mail/send"
MESSAGE_ID = "7mc0U-3mTmmIo6iHX9rSbg"
SIGNED_AT = str(int(Clock().now.timestamp()))  # signatures are made when the harness clock starts: fresh


@dataclass
class Recorded:
    """A response as SendGrid gives it; ``error`` raises instead (the network failed)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    error: Exception | None = None


def errors_body(message: str, field_name: str | None = None, help_url: str | None = None) -> bytes:
    return json.dumps({"errors": [{"message": message, "field": field_name, "help": help_url}]}).encode()


ACCEPTED = Recorded(202, b"", {"Server": "nginx", "Content-Length": "0", "Connection": "keep-alive",
                               "X-Message-Id": MESSAGE_ID, "Access-Control-Allow-Origin": "https://sendgrid.api-docs.io",
                               "Strict-Transport-Security": "max-age=600; includeSubDomains"}, "Accepted")
BAD_FROM = Recorded(400, errors_body("The from email does not contain a valid address.", "from.email",
                                     "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.from"),
                    {"Content-Type": "application/json"}, "Bad Request")
BAD_KEY = Recorded(401, errors_body("The provided authorization grant is invalid, expired, or revoked"),
                   {"Content-Type": "application/json"}, "Unauthorized")
FORBIDDEN = Recorded(403, errors_body("access forbidden"), {"Content-Type": "application/json"}, "Forbidden")


def throttled(reset: int) -> Recorded:
    """429 with the epoch second SendGrid's rate limit resets at."""
    return Recorded(429, errors_body("too many requests"),
                    {"Content-Type": "application/json", "X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0",
                     "X-RateLimit-Reset": str(reset)}, "Too Many Requests")


BROKEN = Recorded(500, errors_body("internal error"), {"Content-Type": "application/json"}, "Internal Server Error")
DOWN = Recorded(0, error=URLError(OSError(101, "Network is unreachable")))


@dataclass
class Sent:
    url: str
    method: str
    headers: dict[str, str]
    json: Any
    timeout: float | None


class _Wire(HTTPSHandler):
    def __init__(self, answers: list[Recorded], sent: list[Sent]) -> None:
        super().__init__()
        self.answers, self.sent = answers, sent

    def https_open(self, req: Request) -> addinfourl:
        self.sent.append(Sent(req.full_url, req.get_method(), dict(req.header_items()),
                              json.loads(req.data) if req.data else None, req.timeout))
        if not self.answers:
            raise AssertionError(f"unexpected request to {req.full_url}")
        answer = self.answers.pop(0)
        if answer.error is not None:
            raise answer.error
        headers = Message()
        for name, value in answer.headers.items():
            headers[name] = value
        response = addinfourl(BytesIO(answer.body), headers, req.full_url, answer.status)
        response.msg = answer.reason
        return response


@contextmanager
def recorded_sendgrid(monkeypatch: pytest.MonkeyPatch, *answers: Recorded) -> Iterator[list[Sent]]:
    """Every SendGrid call in the block answered from ``answers`` in order; yields the requests made. Any
    request beyond the answers fails the test, and every answer must have been asked for."""
    import python_http_client.client as client_module

    sent: list[Sent] = []
    queue = list(answers)

    def opener(*handlers: Any) -> OpenerDirector:
        return build_opener(_Wire(queue, sent))

    monkeypatch.setattr(client_module.urllib, "build_opener", opener)
    yield sent
    assert not queue, f"{len(queue)} recorded answer(s) never asked for"


def inbound_form(fields: dict[str, str | bytes], *, attachment: bytes | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body as Inbound Parse posts it (a bytes value goes as is, in its own charset),
    and its Content-Type."""
    boundary = f"xYzZY{uuid.uuid4().hex}"
    chunks = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                      + (value if isinstance(value, bytes) else value.encode()) + b"\r\n")
    if attachment is not None:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="attachment1"; filename="a.pdf"\r\n'
                      f"Content-Type: application/pdf\r\n\r\n".encode() + attachment + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def email_fields(text: str, *, sender: str = "Alice Trader <alice@example.com>", subject: str = "Orders",
                 message_id: str = "<CAF1a2b3c@mail.example.com>", spf: str = "pass",
                 dkim: str = "{@example.com : pass}", envelope_from: str = "alice@example.com",
                 html: str | None = None) -> dict[str, str]:
    """The fields SendGrid posts for one email (raw headers, SPF, dkim, envelope, charsets...)."""
    headers = (f"Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn Wed, 27 Nov 2026 15:00:00 +0000\n"
               f"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; b=AbC=\n"
               f"From: {sender}\nTo: trade@parse.parley.example.com\nSubject: {subject}\n"
               + (f"Message-Id: {message_id}\n" if message_id else "")
               + "Date: Wed, 27 Nov 2026 15:00:00 +0000\nMIME-Version: 1.0\n")
    fields = {
        "headers": headers, "dkim": dkim, "to": "trade@parse.parley.example.com", "from": sender,
        "sender_ip": "209.85.220.41", "envelope": json.dumps({"to": ["trade@parse.parley.example.com"],
                                                             "from": envelope_from}),
        "subject": subject, "SPF": spf, "spam_score": "0.1", "spam_report": "Spam detection software...",
        "charsets": json.dumps({"to": "UTF-8", "html": "UTF-8", "subject": "UTF-8", "from": "UTF-8",
                                "text": "UTF-8"}),
        "attachments": "0",
    }
    if text is not None:
        fields["text"] = text
    if html is not None:
        fields["html"] = html
    return fields


class EventKeys:
    """A P-256 key pair standing in for SendGrid's: ``public`` as SendGrid shows it (base64 DER)."""

    def __init__(self) -> None:
        self._private = ec.generate_private_key(ec.SECP256R1())
        der = self._private.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
        self.public = base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: str = SIGNED_AT) -> dict[str, str]:
        signature = self._private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": timestamp}


def post_email(client: Any, fields: dict[str, str], *, token: str | None = SENDGRID_TOKEN,
               headers: dict[str, str] | None = None, body: tuple[bytes, str] | None = None) -> Any:
    """POST an Inbound Parse form to the local platform's webhook, with ``?token=`` when ``token`` is given."""
    raw, content_type = body or inbound_form(fields)
    url = "/webhooks/sendgrid/inbound" + (f"?token={token}" if token is not None else "")
    return client.post(url, content=raw, headers={"content-type": content_type} | (headers or {}))
