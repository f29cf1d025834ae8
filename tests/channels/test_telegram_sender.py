"""The Telegram sender against recorded Bot API answers: the exact requests it makes (sendMessage in HTML parse
mode with an inline keyboard, a long message in pieces, answerCallbackQuery and editMessageText after a button
press) and what each refusal becomes (flood control, a blocked bot, a bad request)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from channels.telegram.sender import MAX_TEXT, TelegramSender, size
from core.channels import Action, Channel, Inbound, OutboundMessage
from core.ports.channel import DeliveryFailed
from tests.channels.telegram_updates import API, CHAT, TOKEN, bad_request, blocked, edited, flood, form, sent, true

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TICKET = "BUY 10 AAPL MKT DAY, est. 1,900.20 USD, risk OK, PAPER.\nReply yes 4821 to confirm, or no to cancel."
CONFIRM_CANCEL = [Action(label="Confirm", command="yes 4821"), Action(label="Cancel", command="no 4821")]


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:  # any unrouted request fails the test
        yield router


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def sender(waits: list[float]) -> Iterator[TelegramSender]:
    telegram = TelegramSender(TOKEN, wait=waits.append)
    yield telegram
    telegram.close()


def message(text: str, actions: list[Action] | None = None) -> OutboundMessage:
    return OutboundMessage(id="m1", channel=Channel.TELEGRAM, to=str(CHAT), text=text, actions=actions or [],
                           created_at=NOW)


def press(context: dict[str, str]) -> Inbound:
    return Inbound(id="telegram:900", channel=Channel.TELEGRAM, sender=str(CHAT), text="yes 4821", received_at=NOW,
                   context=context)


def test_a_reply_goes_in_html_escaped_with_code_and_its_actions_as_an_inline_keyboard(api, sender) -> None:
    route = api.post("/sendMessage").mock(return_value=sent(message_id=8121))
    provider_id = sender.send(message("BUY 10 <AAPL> & co\nReply `yes 4821` to confirm", CONFIRM_CANCEL))
    assert provider_id == "8121"
    assert route.call_count == 1
    request = route.calls[0].request
    assert str(request.url) == f"{API}/sendMessage"
    params = form(request)
    assert json.loads(params.pop("reply_markup")) == {"inline_keyboard": [[
        {"text": "Confirm", "callback_data": "yes 4821"}, {"text": "Cancel", "callback_data": "no 4821"}]]}
    assert params == {"chat_id": str(CHAT), "parse_mode": "HTML",
                      "text": "BUY 10 &lt;AAPL&gt; &amp; co\nReply <code>yes 4821</code> to confirm"}


def test_a_reply_without_actions_has_no_keyboard(api, sender) -> None:
    route = api.post("/sendMessage").mock(return_value=sent())
    sender.send(message("Filled: bought 10 AAPL at 190.02"))
    assert form(route.calls[0].request) == {"chat_id": str(CHAT), "parse_mode": "HTML",
                                            "text": "Filled: bought 10 AAPL at 190.02"}


def test_a_5000_character_message_goes_in_two_cut_at_a_line_end_with_the_keyboard_under_the_last(api, sender) -> None:
    lines = [f"{i:03d} AAPL 10 @ 190.02 filled, fee 0.00 USD, ok, xy" for i in range(100)]  # 49 characters each
    text = "\n".join(lines)
    assert len(text) == 4999
    route = api.post("/sendMessage").mock(side_effect=[sent(message_id=1), sent(message_id=2)])
    assert sender.send(message(text, CONFIRM_CANCEL)) == "1,2"
    first, second = (form(call.request) for call in route.calls)
    assert size(first["text"]) <= MAX_TEXT and first["text"].endswith(lines[80]) and "reply_markup" not in first
    assert second["text"].startswith(lines[81])
    assert first["text"] + "\n" + second["text"] == text
    assert json.loads(second["reply_markup"])["inline_keyboard"][0][0]["callback_data"] == "yes 4821"


def test_a_line_longer_than_a_message_is_cut_at_a_space(api, sender) -> None:
    text = "word " * 1000  # 5,000 characters on one line
    route = api.post("/sendMessage").mock(side_effect=[sent(), sent()])
    sender.send(message(text))
    pieces = [form(call.request)["text"] for call in route.calls]
    assert [len(p) for p in pieces] == [4095, 905] and pieces[0].endswith("word ") and "".join(pieces) == text


def test_escaping_counts_against_the_limit(api, sender) -> None:
    route = api.post("/sendMessage").mock(side_effect=[sent(), sent()])
    sender.send(message("<" * 1000))  # 4,000 characters once escaped as &lt;
    pieces = [form(call.request)["text"] for call in route.calls]
    assert all(size(p) <= MAX_TEXT for p in pieces) and "".join(pieces) == "&lt;" * 1000


def test_a_short_flood_control_wait_is_waited_out_and_the_message_sent_once_more(api, sender, waits) -> None:
    route = api.post("/sendMessage").mock(side_effect=[flood(2), sent(message_id=77)])
    assert sender.send(message("hello")) == "77"
    assert waits == [2.0]
    assert route.call_count == 2 and form(route.calls[0].request) == form(route.calls[1].request)


def test_a_long_flood_control_wait_goes_back_to_the_queue_with_its_retry_after(api, sender, waits) -> None:
    route = api.post("/sendMessage").mock(return_value=flood(35))
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(message("hello"))
    assert (failed.value.reason, failed.value.retry_after) == ("unavailable", 35.0)
    assert route.call_count == 1 and waits == []


def test_flood_control_twice_gives_up_after_one_retry(api, sender, waits) -> None:
    route = api.post("/sendMessage").mock(side_effect=[flood(1), flood(1)])
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(message("hello"))
    assert (failed.value.reason, failed.value.retry_after) == ("unavailable", 1.0)
    assert route.call_count == 2 and waits == [1.0]


def test_a_bot_the_user_blocked_is_the_chats_opt_out(api, sender) -> None:
    api.post("/sendMessage").mock(return_value=blocked())
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(message("hello"))
    assert failed.value.reason == "opted_out" and "blocked by the user" in failed.value.message


def test_a_bad_request_is_rejected_with_telegrams_reason(api, sender) -> None:
    api.post("/sendMessage").mock(return_value=bad_request("chat not found"))
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(message("hello"))
    assert failed.value.reason == "rejected" and "chat not found" in failed.value.message.lower()


def test_telegram_down_is_unavailable(api, sender) -> None:
    api.post("/sendMessage").mock(return_value=httpx.Response(502, text="<html>502 Bad Gateway</html>"))
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(message("hello"))
    assert failed.value.reason == "unavailable"


def test_a_command_too_long_for_callback_data_is_offered_to_type_instead(api, sender) -> None:
    route = api.post("/sendMessage").mock(return_value=sent())
    long_command = "alert " + "X" * 60  # 66 bytes: over the 64 Telegram allows
    sender.send(message("Set it?", [Action(label="Set", command=long_command), Action(label="Skip", command="no")]))
    params = form(route.calls[0].request)
    assert params["text"] == f"Set it?\nSet: send <code>{long_command}</code>"
    assert json.loads(params["reply_markup"]) == {"inline_keyboard": [[{"text": "Skip", "callback_data": "no"}]]}


def test_a_button_press_is_answered_and_its_ticket_edited_to_show_the_outcome_without_keyboard(api, sender) -> None:
    answered = api.post("/answerCallbackQuery").mock(return_value=true())
    edit = api.post("/editMessageText").mock(return_value=edited())
    ticket_html = TICKET.replace("yes 4821", "<code>yes 4821</code>")
    inbound = press({"callback_query_id": "4382bfdwdsb323b2d9", "chat_id": str(CHAT), "message_id": "42",
                     "message_html": ticket_html})
    sender.acknowledge(inbound, [message("Filled: bought 10 AAPL at 190.02 <paper>")])
    assert form(answered.calls[0].request) == {"callback_query_id": "4382bfdwdsb323b2d9"}
    assert form(edit.calls[0].request) == {
        "chat_id": str(CHAT), "message_id": "42", "parse_mode": "HTML",
        "text": ticket_html + "\n\nFilled: bought 10 AAPL at 190.02 &lt;paper&gt;"}  # no reply_markup: keyboard gone
    assert answered.calls[0].request.url.path.endswith("/answerCallbackQuery") and api.calls.call_count == 2


def test_a_typed_message_needs_no_acknowledgement(api, sender) -> None:
    sender.acknowledge(press({"chat_id": str(CHAT), "message_id": "41"}), [message("Filled.")])
    assert api.calls.call_count == 0


def test_a_press_telegram_no_longer_knows_is_let_be(api, sender) -> None:
    api.post("/answerCallbackQuery").mock(
        return_value=bad_request("query is too old and response timeout expired or query ID is invalid"))
    edit = api.post("/editMessageText").mock(return_value=bad_request(
        "message is not modified: specified new message content and reply markup are exactly the same as a "
        "current content and reply markup of the message"))
    sender.acknowledge(press({"callback_query_id": "q1", "chat_id": str(CHAT), "message_id": "42",
                              "message_html": "BUY"}), [message("Filled.")])
    assert edit.call_count == 1


def test_a_press_is_acknowledged_again_later_when_telegram_is_down(api, sender) -> None:
    api.post("/answerCallbackQuery").mock(return_value=httpx.Response(502, text="Bad Gateway"))
    with pytest.raises(DeliveryFailed) as failed:
        sender.acknowledge(press({"callback_query_id": "q1", "chat_id": str(CHAT)}), [])
    assert failed.value.reason == "unavailable"
