"""The HTML the wording made for a notification is what Telegram and email send; a message without it is
rendered by the channel from its text, as before."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.sendgrid.sender import html_part
from channels.telegram.sender import MAX_TEXT, compose
from core.channels import Channel, OutboundMessage

NOW = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)


def message(channel: Channel, text: str, html: str = "") -> OutboundMessage:
    return OutboundMessage(id="M1", channel=channel, to="4242", text=text, html=html, created_at=NOW)


def test_telegram_sends_the_worded_html_of_a_notification() -> None:
    texts, markup = compose(message(Channel.TELEGRAM, "Filled: <x>", "<b>Parley fill</b>\nFilled: &lt;x&gt;"))
    assert texts == ["<b>Parley fill</b>\nFilled: &lt;x&gt;"] and markup is None


def test_telegram_renders_the_text_when_the_html_would_not_fit_one_message() -> None:
    texts, _ = compose(message(Channel.TELEGRAM, "short <one>", "<b>x</b>" * MAX_TEXT))
    assert texts == ["short &lt;one&gt;"]


def test_email_frames_the_worded_html_of_a_notification() -> None:
    part = html_part(message(Channel.EMAIL, "Filled", "<p><b>Filled</b></p>"), "parley@example.com")
    assert part == '<div style="font-family:sans-serif;font-size:14px;line-height:1.4"><p><b>Filled</b></p></div>'
