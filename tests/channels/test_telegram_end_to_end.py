"""Telegram end to end on the local platform (tests/channels/harness.py): updates posted to /webhooks/telegram as
Telegram posts them, the conversation worker answering, notifications delivered; with a bot token the replies go
to the Bot API (recorded answers, every request asserted), without one they land in the outbox. Exactly one
order, and none from a forged update, a replay or a chat that is not linked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import count

import httpx
import pytest
import respx

from core.channels import Channel, MessageStatus, OutboundMessage
from core.notifications import NotificationKind
from core.orders import OrderStatus
from tests.channels.harness import TELEGRAM_SECRET, LocalChannels, local_channels
from tests.channels.telegram_updates import (
    API,
    CHAT,
    TOKEN,
    blocked,
    callback_update,
    edited,
    form,
    message_update,
    sent,
    true,
)

STRANGER = 7770001111
_updates = count(5000)


def post(local: LocalChannels, update: dict, secret: str = TELEGRAM_SECRET) -> httpx.Response:
    return local.client.post("/webhooks/telegram", content=json.dumps(update),
                             headers={"content-type": "application/json", "x-telegram-bot-api-secret-token": secret})


def say(local: LocalChannels, text: str, chat: int = CHAT) -> dict:
    update = message_update(next(_updates), text, chat=chat)
    assert post(local, update).json() == {"ok": True, "duplicate": False}
    local.drain()
    return update


def to_chat(local: LocalChannels, chat: int = CHAT) -> list[OutboundMessage]:
    return [m for m in local.outbox() if m.channel is Channel.TELEGRAM and m.to == str(chat)]


def replies(local: LocalChannels, update: dict) -> list[OutboundMessage]:
    """What answered ``update`` (the clock stands still, so the outbox's order does not tell)."""
    return [m for m in local.outbox() if m.cause == f"telegram:{update['update_id']}"]


def linked(local: LocalChannels) -> LocalChannels:
    [reply] = replies(local, say(local, f"link {local.link_code('alice')}"))
    assert reply.text.startswith("Linked: this telegram now speaks for account alice.")
    local.quote("AAPL", "190.00", "190.02")
    return local


def staged(local: LocalChannels) -> tuple[OutboundMessage, str]:
    """buy 10 AAPL: the ticket reply and its confirmation code."""
    [ticket] = replies(local, say(local, "buy 10 AAPL"))
    assert [a.label for a in ticket.actions] == ["Confirm", "Cancel"]
    code = ticket.actions[0].command.removeprefix("yes ")
    assert ticket.actions[1].command == f"no {code}" and f"yes {code}" in ticket.text
    assert ticket.text.startswith("BUY 10 AAPL MKT DAY")
    return ticket, code


def statuses(local: LocalChannels) -> list[OrderStatus]:
    """Alice's orders by status: a staged ticket is an order waiting for its confirmation."""
    return [order.status for order in local.orders("alice")]


def press(ticket: OutboundMessage, command: str, update_id: int | None = None) -> dict:
    return callback_update(update_id or next(_updates), command, ticket.text, ticket_id=int(ticket.provider_id or 42))


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post("/sendMessage").mock(side_effect=lambda request: sent(text=form(request)["text"]))
        router.post("/answerCallbackQuery").mock(return_value=true())
        router.post("/editMessageText").mock(side_effect=lambda request: edited(text=form(request)["text"]))
        yield router


@pytest.fixture
def bot(api) -> Iterator[LocalChannels]:
    """The local platform with a bot token: replies go to the (recorded) Bot API."""
    local = local_channels(telegram_bot_token=TOKEN)
    yield local
    local.platform.senders[Channel.TELEGRAM].close()


def calls(api: respx.MockRouter, method: str) -> list[dict[str, str]]:
    return [form(call.request) for call in api.calls if call.request.url.path.endswith(f"/{method}")]


def test_buy_confirmed_by_the_button_fills_once_with_every_message_on_telegram(bot, api) -> None:
    local = linked(bot)
    ticket, code = staged(local)
    assert ticket.status is MessageStatus.SENT and ticket.provider_id

    update = press(ticket, f"yes {code}")
    assert post(local, update).json() == {"ok": True, "duplicate": False}
    local.drain()

    orders = local.orders("alice")
    assert len(orders) == 1 and orders[0].status is OrderStatus.FILLED and orders[0].quantity == 10
    messages = to_chat(local)
    [confirmation] = replies(local, update)
    [fill] = [m for m in messages if not m.cause.startswith("telegram:")]  # the one no update caused
    notification = local.platform.store.notifications.get(fill.cause)
    assert notification is not None and notification.kind is NotificationKind.FILL
    assert fill.text == f"Filled: BUY 10 AAPL at 190.02 (order {orders[0].id}, 10 of 10)"
    assert fill.account_id == "alice" and fill.status is MessageStatus.SENT

    sends = calls(api, "sendMessage")
    assert [s["chat_id"] for s in sends] == [str(CHAT)] * len(messages)
    assert all(s["parse_mode"] == "HTML" for s in sends)
    ticket_send = next(s for s in sends if s["text"].startswith("BUY 10 AAPL"))
    assert json.loads(ticket_send["reply_markup"]) == {"inline_keyboard": [[
        {"text": "Confirm", "callback_data": f"yes {code}"}, {"text": "Cancel", "callback_data": f"no {code}"}]]}
    assert calls(api, "answerCallbackQuery") == [{"callback_query_id": "4382bfdwdsb323b2d9"}]
    assert calls(api, "editMessageText") == [{
        "chat_id": str(CHAT), "message_id": ticket.provider_id, "parse_mode": "HTML",
        "text": f"{ticket.text}\n\n{confirmation.text}".replace("&", "&amp;").replace("<", "&lt;")}]


def test_a_replayed_press_and_a_second_press_place_no_second_order(bot, api) -> None:
    local = linked(bot)
    ticket, code = staged(local)
    update = press(ticket, f"yes {code}")
    post(local, update)
    local.drain()
    sent_before = len(api.calls)

    assert post(local, update).json() == {"ok": True, "duplicate": True}  # Telegram delivers it again
    local.drain()
    assert len(api.calls) == sent_before

    again = press(ticket, f"yes {code}")  # the trader presses Confirm again: a new update
    assert post(local, again).json() == {"ok": True, "duplicate": False}
    local.drain()
    assert statuses(local) == [OrderStatus.FILLED]
    assert len(calls(api, "answerCallbackQuery")) == 2  # the second press is answered too, its spinner stopped


def test_cancel_by_the_button_places_nothing(bot, api) -> None:
    local = linked(bot)
    ticket, code = staged(local)
    post(local, press(ticket, f"no {code}"))
    local.drain()
    assert statuses(local) == [OrderStatus.CANCELLED]
    assert len(calls(api, "editMessageText")) == 1


def test_a_forged_update_is_refused_and_executes_nothing() -> None:
    local = linked(local_channels())
    ticket, code = staged(local)
    before = local.outbox()
    for secret in ("forged-secret", ""):
        response = post(local, press(ticket, f"yes {code}"), secret=secret)
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    local.drain()
    assert statuses(local) == [OrderStatus.PENDING_CONFIRMATION] and local.outbox() == before


def test_a_replayed_message_is_answered_once() -> None:
    local = linked(local_channels())
    update = say(local, "buy 10 AAPL")
    tickets = len(to_chat(local))
    assert post(local, update).json() == {"ok": True, "duplicate": True}
    local.drain()
    assert len(to_chat(local)) == tickets and statuses(local) == [OrderStatus.PENDING_CONFIRMATION]


def test_an_unlinked_chat_gets_one_onboarding_reply_then_nothing_and_trades_nothing() -> None:
    local = linked(local_channels())
    ticket, code = staged(local)
    say(local, "buy 10 AAPL", chat=STRANGER)
    say(local, f"yes {code}", chat=STRANGER)
    post(local, callback_update(next(_updates), f"yes {code}", ticket.text, chat=STRANGER))
    local.drain()
    replies = to_chat(local, STRANGER)
    assert [m.text for m in replies] == [
        "Hi, this is Parley. This Telegram chat is not linked to a trading account yet. Get a code in the app or "
        "with POST /v1/links, then send: link <code>"]
    assert statuses(local) == [OrderStatus.PENDING_CONFIRMATION]


def test_a_chat_that_blocked_the_bot_is_skipped_until_it_writes_again(api) -> None:
    local = linked(local_channels(telegram_bot_token=TOKEN))
    try:
        ticket, code = staged(local)
        # the confirmation's reply goes, then the bot is blocked: the fill notification is refused
        api.routes[0].mock(side_effect=[sent(), blocked(), sent()])
        post(local, press(ticket, f"yes {code}"))
        local.drain()
        assert statuses(local) == [OrderStatus.FILLED]
        contact = local.platform.store.contacts.get(Channel.TELEGRAM, str(CHAT))
        assert contact is not None and contact.opted_out
        [fill] = [m for m in to_chat(local) if not m.cause.startswith("telegram:")]
        assert (fill.status, fill.error) == (MessageStatus.FAILED, "opted_out")
        say(local, "positions")  # unblocked: the chat writes again
        contact = local.platform.store.contacts.get(Channel.TELEGRAM, str(CHAT))
        assert contact is not None and not contact.opted_out
    finally:
        local.platform.senders[Channel.TELEGRAM].close()
