"""Email through SendGrid's v3 mail send API (sendgrid's ``SendGridAPIClient``).

Each message goes as a text part and an HTML part (escaped; "Field: value" runs and order summaries as small
tables), on the trader's thread (``In-Reply-To``/``References`` from the message it answers), with the
message's id as the custom arg ``parley_message_id`` so the Event Webhook can find it again.
"""

from __future__ import annotations

import html
import json
import re
import time
from urllib.error import URLError
from urllib.parse import quote

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, From, Header, Mail, To

from channels.sendgrid.inbound import CUSTOM_ARG
from core.channels import Action, Channel, OutboundMessage
from core.ports.channel import DeliveryFailed, Sender

TIMEOUT_SECONDS = 10.0  # a worker retries later rather than waiting out a stuck connection
REJECTED = {400, 401, 403, 404, 413}  # this message or this key will not go however often it is retried
FIELD = re.compile(r"^\s*([A-Za-z][\w&/' ()-]{0,30}):\s+(\S.*)$")
ORDER = re.compile(r"^(?P<lead>.*?)\b(?P<side>BUY|SELL) (?P<qty>[\d,.]+) (?P<symbol>[A-Z0-9./:-]+) "
                   r"(?P<terms>[^,]+?)(?P<rest>(?:, [^,]+(?:,\d[^,]*)*)*)\.$")
EXTRA = (("est. ", "Estimate"), ("risk ", "Risk"))


class EmailSender(Sender):
    channel = Channel.EMAIL

    def __init__(self, api_key: str, from_email: str, *, client: SendGridAPIClient | None = None) -> None:
        self.from_email = from_email
        self.client = client or SendGridAPIClient(api_key)
        self.client.client.timeout = TIMEOUT_SECONDS

    def send(self, message: OutboundMessage) -> str:
        try:
            response = self.client.send(self.mail(message))
        except HTTPError as exc:
            raise _failure(exc) from exc
        except (URLError, TimeoutError, ConnectionError) as exc:
            raise DeliveryFailed(f"SendGrid could not be reached: {exc}", reason="unavailable") from exc
        return str(response.headers.get("X-Message-Id") or "")

    def mail(self, message: OutboundMessage) -> Mail:
        mail = Mail(from_email=From(self.from_email, "Parley"), to_emails=To(message.to),
                    subject=message.subject or "Parley", plain_text_content=text_part(message),
                    html_content=html_part(message, self.from_email))
        if replied := message.context.get("message_id"):
            mail.header = Header("In-Reply-To", replied)
            mail.header = Header("References", replied)
        mail.custom_arg = CustomArg(CUSTOM_ARG, message.id)
        return mail


def text_part(message: OutboundMessage) -> str:
    lines = [message.text.rstrip()]
    if message.actions:
        lines.append("")
        lines.extend(f"Reply: {action.command}" for action in message.actions)
    return "\n".join(lines) + "\n"


def html_part(message: OutboundMessage, reply_to: str) -> str:
    blocks = [message.html] if message.html else _blocks(message.text.strip().splitlines())
    if message.actions:
        blocks.append(_actions(message.actions, reply_to, message.subject or "Parley"))
    return ('<div style="font-family:sans-serif;font-size:14px;line-height:1.4">' + "".join(blocks) + "</div>")


def _blocks(lines: list[str]) -> list[str]:
    """Paragraphs, with each run of two or more "Field: value" lines and each order summary as a table."""
    blocks: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        if len(run) > 1:
            blocks.append(_table(run))
        else:
            blocks.extend(f"<p>{html.escape(f'{key}: {value}')}</p>" for key, value in run)
        run.clear()

    for line in lines:
        if order := ORDER.match(line.strip()):
            flush()
            if order["lead"].strip():
                blocks.append(f"<p>{html.escape(order['lead'].strip())}</p>")
            blocks.append(_table(_order_rows(order)))
        elif field := FIELD.match(line):
            run.append((field[1].strip(), field[2].strip()))
        else:
            flush()
            if line.strip():
                blocks.append(f"<p>{html.escape(line.strip())}</p>")
    flush()
    return blocks


def _order_rows(order: re.Match[str]) -> list[tuple[str, str]]:
    rows = [("Side", order["side"]), ("Quantity", order["qty"]), ("Symbol", order["symbol"]),
            ("Order", order["terms"])]
    extras = [part for part in order["rest"].split(", ") if part]
    for index, part in enumerate(extras):
        label = next((name for prefix, name in EXTRA if part.startswith(prefix)), None)
        if label is not None:
            rows.append((label, part.split(" ", 1)[1]))
        else:
            rows.append(("Venue" if index == len(extras) - 1 else "Note", part))
    return rows


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f'<tr><th style="text-align:left;padding:2px 12px 2px 0">{html.escape(key)}</th>'
        f"<td>{html.escape(value)}</td></tr>" for key, value in rows
    )
    return f'<table style="border-collapse:collapse">{cells}</table>'


def _actions(actions: list[Action], reply_to: str, subject: str) -> str:
    """Each action as a link that opens a reply with the command typed in, and the command to type."""
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    items = "".join(
        f'<li><a href="mailto:{html.escape(reply_to)}?subject={quote(subject)}&amp;body={quote(action.command)}">'
        f"{html.escape(action.label)}</a>: reply <code>{html.escape(action.command)}</code></li>"
        for action in actions
    )
    return f"<ul>{items}</ul>"


def _failure(exc: HTTPError) -> DeliveryFailed:
    status = int(exc.status_code)
    detail = _errors(exc.body)
    reason = "rejected" if status in REJECTED or (400 <= status < 500 and status != 429) else "unavailable"
    retry_after = _retry_after(exc.headers) if status == 429 else None
    return DeliveryFailed(f"SendGrid answered {status}: {detail or exc.reason}", reason=reason,
                          retry_after=retry_after, status=status)


def _errors(body: bytes | str | None) -> str:
    """SendGrid's ``{"errors": [{"message", "field", "help"}]}``, as one line."""
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return ""
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    if not isinstance(errors, list):
        return ""
    return "; ".join(
        f"{e.get('message')}" + (f" ({e['field']})" if e.get("field") else "") for e in errors if isinstance(e, dict)
    )


def _retry_after(headers: object) -> float | None:
    """SendGrid's 429 carries X-RateLimit-Reset, the epoch second the limit resets."""
    reset = getattr(headers, "get", lambda _: None)("X-RateLimit-Reset")
    try:
        return max(0.0, float(reset) - time.time()) if reset is not None else None
    except ValueError:
        return None
