"""docs/extending.md, "A notification kind", done once: every kind has its sentence and its email subject in
core/wording/notifications.py (the check that fails when a kind is added without its words), and a kind's sentence,
made from data over the one set of number formatters, is rendered per channel at delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.channels import Channel
from core.notifications import Notification, NotificationKind
from core.wording import notifications as wording
from core.wording.formats import price

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_notification_kind_has_a_sentence_and_an_email_subject(kind: NotificationKind) -> None:
    assert kind in wording.SENTENCES
    assert kind in wording.SUBJECTS


def margin_call(data: wording.Data, account_id: str) -> str:
    """A toy kind's sentence: made from data (Decimals as strings), numbers through core.wording.formats."""
    equity = price(Decimal(data["equity"]), data["symbol"])
    return f"Margin call on {account_id}: equity {equity} \u2014 \u201cadd funds\u201d"


@pytest.fixture
def toy_kind(monkeypatch: pytest.MonkeyPatch) -> NotificationKind:
    """A kind's words plugged where the doc says. A real new kind is a new NotificationKind member; a test cannot
    add a member to an enum, so the toy words stand in for one existing kind's."""
    kind = NotificationKind.SYSTEM
    monkeypatch.setitem(wording.SENTENCES, kind, margin_call)
    monkeypatch.setitem(wording.SUBJECTS, kind, "Parley: margin call")
    return kind


def note(kind: NotificationKind) -> Notification:
    return Notification(id="N1", account_id="alice", kind=kind, text="stored text for the API's list",
                        data={"equity": "95047.3", "symbol": "BTC-USD"}, created_at=NOW)


def test_the_new_kinds_words_are_made_from_its_data_with_the_shared_number_format(toy_kind) -> None:
    assert wording.plain(note(toy_kind)) == "Margin call on alice: equity 95,047.30 \u2014 \u201cadd funds\u201d"


def test_telegram_shows_the_new_kind_as_html_under_its_subject(toy_kind) -> None:
    rendered = wording.render(note(toy_kind), Channel.TELEGRAM)
    words = "Margin call on alice: equity 95,047.30 \u2014 \u201cadd funds\u201d"
    assert rendered.html == f"<b>Parley: margin call</b>\n{words}"


def test_sms_shows_the_new_kind_in_plain_gsm7(toy_kind) -> None:
    rendered = wording.render(note(toy_kind), Channel.SMS)
    assert rendered.text == 'Margin call on alice: equity 95,047.30 - "add funds"'


def test_email_shows_the_new_kind_with_its_subject_as_text_and_html(toy_kind) -> None:
    rendered = wording.render(note(toy_kind), Channel.EMAIL)
    assert rendered.subject == "Parley: margin call"
    assert rendered.html == "<p>Margin call on alice: equity 95,047.30 \u2014 \u201cadd funds\u201d</p>"


def test_whatsapp_shows_the_new_kinds_plain_words(toy_kind) -> None:
    assert wording.render(note(toy_kind), Channel.WHATSAPP).text.startswith("Margin call on alice: equity 95,047.30")


def test_a_notification_whose_data_cannot_make_the_sentence_delivers_its_stored_text(toy_kind) -> None:
    old = note(toy_kind).model_copy(update={"data": {}})
    assert wording.render(old, Channel.SMS).text == "stored text for the API's list"
