"""Words in one place: a notification is worded from its kind and data, per channel at delivery, over the same
number formatters the chat replies use."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from agent.replies import fills_text, order_done
from core import usecases as uc
from core.channels import Channel, Contact, Preferences
from core.notifications import Notification, NotificationKind
from core.usecases import delivery
from core.usecases.preferences import set_preferences
from core.wording import formats
from core.wording.gsm import GSM7, GSM7_EXTENDED
from core.wording.notifications import render
from tests.support import order, tick
from tests.unit.test_channel_inbox import Recorder


def rejected(reason: str) -> Notification:
    """A rejection as notify.order_ended stores it, with a reason a venue wrote."""
    from datetime import UTC, datetime

    data = {"order_id": "7F3K2QW9ZX", "symbol": "BTC-USD", "side": "buy", "quantity": "1250.50000",
            "status": "rejected", "reason": reason}
    return Notification(id="N1", account_id="alice", kind=NotificationKind.REJECTED, text="stored", data=data,
                        created_at=datetime(2026, 1, 5, 14, 30, tzinfo=UTC))


def test_a_number_reads_the_same_in_the_reply_and_in_its_fill_notification(service, clock) -> None:
    tick(service, clock, "BTC-USD", "95047.10", "95047.30")
    placed = uc.place_order(service, "alice", order("BTC-USD", "buy", "0.1"), idempotency_key="btc")
    [note] = uc.list_notifications(service, "alice")
    assert "95,047.30" in order_done(placed)
    assert "95,047.30" in fills_text(service.store.fills.list_for_account("alice"))
    assert note.text == f"Filled: BUY 0.1 BTC-USD at 95,047.30 (order {placed.id}, 0.1 of 0.1)"
    assert note.data["price"] == "95047.30" and note.data["quantity"] == "0.1"  # data stays plain and JSON-safe


def test_a_notification_renders_as_escaped_html_on_telegram() -> None:
    words = render(rejected("price <limit> & collar"), Channel.TELEGRAM)
    assert words.text == "Order 7F3K2QW9ZX (buy 1,250.5 BTC-USD) rejected: price <limit> & collar."
    assert words.html == ("<b>Parley: order rejected</b>\n"
                          "Order 7F3K2QW9ZX (buy 1,250.5 BTC-USD) rejected: price &lt;limit&gt; &amp; collar.")


def test_a_notification_renders_in_gsm7_only_on_sms() -> None:
    words = render(rejected("venue said \u201cno\u201d \u2014 try later \U0001f4c9 \u6771\u4eac"), Channel.SMS)
    assert words.text == 'Order 7F3K2QW9ZX (buy 1,250.5 BTC-USD) rejected: venue said "no" - try later ? ??.'
    assert set(words.text) <= GSM7 | GSM7_EXTENDED
    assert words.html == ""


def test_a_notification_renders_as_email_text_html_and_subject() -> None:
    words = render(rejected("a <b>bold</b> claim"), Channel.EMAIL)
    assert words.subject == "Parley: order rejected"
    assert words.text == "Order 7F3K2QW9ZX (buy 1,250.5 BTC-USD) rejected: a <b>bold</b> claim."
    assert words.html == "<p>Order 7F3K2QW9ZX (buy 1,250.5 BTC-USD) rejected: a &lt;b&gt;bold&lt;/b&gt; claim.</p>"


def test_whatsapp_gets_the_plain_words() -> None:
    words = render(rejected("too late"), Channel.WHATSAPP)
    assert (words.text, words.html) == ("Order 7F3K2QW9ZX (buy 1,250.5 BTC-USD) rejected: too late.", "")


def test_a_stored_notification_without_data_still_delivers_its_text(service) -> None:
    senders = {channel: Recorder(channel) for channel in Channel}
    service.store.contacts.save(Contact(channel=Channel.TELEGRAM, address="4242", account_id="alice"))
    set_preferences(service, uc.get_account(service, "alice"), Preferences(channels=[Channel.TELEGRAM]))
    old = Notification(id="OLD", account_id="alice", kind=NotificationKind.FILL, text="Filled: an old <one>",
                       created_at=service.now())
    outcome = delivery.notify(service, senders, old)
    assert outcome.sent.text == "Filled: an old <one>"
    assert outcome.sent.html == "<b>Parley fill</b>\nFilled: an old &lt;one&gt;"


def test_delivery_words_the_notification_for_the_channel_it_goes_to(service) -> None:
    senders = {channel: Recorder(channel) for channel in Channel}
    service.store.contacts.save(Contact(channel=Channel.SMS, address="+1555", account_id="alice"))
    set_preferences(service, uc.get_account(service, "alice"), Preferences(channels=[Channel.SMS]))
    outcome = delivery.notify(service, senders, rejected("venue said \u201cno\u201d"))
    assert outcome.sent.text == 'Order 7F3K2QW9ZX (buy 1,250.5 BTC-USD) rejected: venue said "no".'
    assert outcome.sent.subject == "Parley: order rejected"


@pytest.mark.parametrize(("formatted", "expected"), [
    (formats.money(D("95047.3"), "USD"), "95,047.30 USD"),
    (formats.quantity(D("1000.0100")), "1,000.01"),
    (formats.quantity(D("1E+3")), "1,000"),
    (formats.price(D("95047.3"), "BTC-USD"), "95,047.30"),
    (formats.price(D("2.05"), "RB"), "2.0500"),
    (formats.price(D("0.00001234"), "NOT-LISTED"), "0.00001234"),
    (formats.percent(D("2.50")), "2.5%"),
    (formats.percent(D("3.456"), 2), "3.46%"),
    (formats.number(None), "-"),
])
def test_the_formatters_group_thousands_and_keep_each_kind_of_number_as_traders_read_it(formatted, expected) -> None:
    assert formatted == expected
