"""The email sender against SendGrid's v3 mail send API: the exact request, and each answer SendGrid gives."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from channels.sendgrid.sender import EmailSender
from core.channels import Action, Channel, OutboundMessage
from core.ports.channel import DeliveryFailed
from tests.channels.sendgrid_support import (
    ACCEPTED,
    BAD_FROM,
    BAD_KEY,
    BROKEN,
    DOWN,
    FORBIDDEN,
    MAIL_SEND,
    MESSAGE_ID,
    recorded_sendgrid,
    throttled,
)

KEY = "SG.test-key.0123456789"
FROM = "trade@parse.parley.example.com"
TICKET = ("BUY 10 AAPL MKT DAY, est. 1,896.00 USD, risk OK, PAPER.\n"
          "Reply yes 1844 to confirm (until 15:02:00 UTC), or no to cancel.")


def message(**fields: object) -> OutboundMessage:
    values = {"id": "R8K2M4N6P8Q0S2T4", "channel": Channel.EMAIL, "to": "alice@example.com", "text": TICKET,
              "actions": [Action(label="Confirm", command="yes 1844"), Action(label="Cancel", command="no 1844")],
              "subject": "Re: Orders", "context": {"subject": "Orders", "message_id": "<CAF1a2b3c@mail.example.com>"},
              "created_at": datetime(2026, 11, 27, 15, 0, tzinfo=UTC)} | fields
    return OutboundMessage.model_validate(values)


def test_a_reply_is_posted_to_mail_send_on_the_traders_thread_and_returns_the_message_id(monkeypatch) -> None:
    with recorded_sendgrid(monkeypatch, ACCEPTED) as sent:
        provider_id = EmailSender(KEY, FROM).send(message())

    assert provider_id == MESSAGE_ID
    [request] = sent
    assert (request.url, request.method, request.timeout) == (MAIL_SEND, "POST", 10.0)
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-type"] == "application/json"
    body = request.json
    html = body["content"][1]["value"]
    assert body == {
        "from": {"name": "Parley", "email": FROM},
        "subject": "Re: Orders",
        "personalizations": [{"to": [{"email": "alice@example.com"}]}],
        "content": [{"type": "text/plain", "value": TICKET + "\n\nReply: yes 1844\nReply: no 1844\n"},
                    {"type": "text/html", "value": html}],
        "headers": {"In-Reply-To": "<CAF1a2b3c@mail.example.com>", "References": "<CAF1a2b3c@mail.example.com>"},
        "custom_args": {"parley_message_id": "R8K2M4N6P8Q0S2T4"},
    }
    # The order summary is a table in the HTML part; each action a reply link with the command typed in.
    assert ("<tr><th style=\"text-align:left;padding:2px 12px 2px 0\">Symbol</th><td>AAPL</td></tr>" in html)
    assert "<th style=\"text-align:left;padding:2px 12px 2px 0\">Estimate</th><td>1,896.00 USD</td>" in html
    assert ('<a href="mailto:trade@parse.parley.example.com?subject=Re%3A%20Orders&amp;body=yes%201844">Confirm</a>'
            in html)


def test_html_is_escaped_and_field_lines_become_a_table(monkeypatch) -> None:
    text = "Your limits:\n  max order: 10,000 USD\n  price collar: 5%\nNote <script>alert(1)</script> & more"
    with recorded_sendgrid(monkeypatch, ACCEPTED) as sent:
        EmailSender(KEY, FROM).send(message(text=text, actions=[], subject="Limits", context={}))
    body = sent[0].json
    html = body["content"][1]["value"]
    assert "<script>" not in html and "<p>Note &lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>" in html
    assert "<table" in html and "<th style=\"text-align:left;padding:2px 12px 2px 0\">max order</th>" in html
    assert body["content"][0]["value"] == text + "\n"
    assert "headers" not in body  # a notification answers no email: no thread headers
    assert body["subject"] == "Limits"


@pytest.mark.parametrize(("answer", "reason", "says"), [
    (BAD_FROM, "rejected", "SendGrid answered 400: The from email does not contain a valid address. (from.email)"),
    (BAD_KEY, "rejected", "SendGrid answered 401: The provided authorization grant is invalid, expired, or revoked"),
    (FORBIDDEN, "rejected", "SendGrid answered 403: access forbidden"),
    (BROKEN, "unavailable", "SendGrid answered 500: internal error"),
])
def test_sendgrid_errors_become_delivery_failures(monkeypatch, answer, reason, says) -> None:
    with recorded_sendgrid(monkeypatch, answer) as sent, pytest.raises(DeliveryFailed) as failed:
        EmailSender(KEY, FROM).send(message())
    assert (failed.value.reason, failed.value.message, failed.value.retry_after) == (reason, says, None)
    assert len(sent) == 1


def test_throttling_is_unavailable_with_the_wait_until_the_limit_resets(monkeypatch) -> None:
    with recorded_sendgrid(monkeypatch, throttled(int(time.time()) + 30)), pytest.raises(DeliveryFailed) as failed:
        EmailSender(KEY, FROM).send(message())
    assert failed.value.reason == "unavailable"
    assert 25 <= failed.value.retry_after <= 31


def test_an_unreachable_sendgrid_is_unavailable(monkeypatch) -> None:
    with recorded_sendgrid(monkeypatch, DOWN), pytest.raises(DeliveryFailed) as failed:
        EmailSender(KEY, FROM).send(message())
    assert failed.value.reason == "unavailable"
    assert "Network is unreachable" in failed.value.message
