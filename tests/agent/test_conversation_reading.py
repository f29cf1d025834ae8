"""What the conversation does with what the grammar reads from everyday text: questions back, "did you mean",
closing everything, what-ifs, and the intents whose use case is not there yet, none of which becomes an order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.conversation import NO_LLM, Conversation
from core import usecases as uc
from core.orders import OrderStatus
from tests.agent.fakes import ScriptedChatModel
from tests.support import order, tick


@pytest.fixture
def chat(service):
    return Conversation(service, env={})


def say(chat: Conversation, text: str, account: str = "alice") -> list:
    return chat.converse(account, "test", text)


def staged(service) -> list:
    return uc.pending_confirmations(service, "alice")


def hold(chat: Conversation, service, clock, symbol: str, bid: str, ask: str, quantity: str) -> None:
    tick(service, clock, symbol, bid, ask)
    [ticket] = say(chat, f"buy {quantity} {symbol}")
    say(chat, ticket.actions[0].command)


def test_a_notional_order_in_words_stages_a_ticket_for_that_amount_not_that_many_shares(chat, service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    [ticket] = say(chat, "buy $1000 of apple")
    assert ticket.text.startswith("BUY ") and " AAPL MKT DAY (for 1,000.00 USD)" in ticket.text
    [pending] = staged(service)
    assert pending.notional == 1000
    assert 0 < pending.quantity * Decimal("190.02") <= 1000  # sized from the amount at the ask, never 1,000 shares


@pytest.mark.parametrize(
    "text",
    ["don't buy 10 AAPL", "should I buy 10 AAPL?", "buy 10 AAPL?", "I bought 10 AAPL yesterday",
     "buy 10 AAPL and sell 5 TSLA", "buy 10 AAPL @ 190 @ 191", "buy 1O AAPL", "buy AAPL", "buy 10"],
)  # fmt: skip
def test_what_is_not_a_clear_instruction_gets_a_question_back_and_stages_nothing(chat, service, clock, text) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    [reply] = say(chat, text)
    assert reply.actions == []
    assert "?" in reply.text
    assert reply.text != NO_LLM
    assert staged(service) == []


def test_with_an_llm_configured_a_question_back_becomes_the_llms_turn(service, clock) -> None:
    from agent.llm import LlmAgent

    model = ScriptedChatModel(responses=["Nothing placed. Do you want me to stage 10 AAPL?"])
    chat = Conversation(service, llm=LlmAgent(service, model))
    [reply] = say(chat, "should I buy 10 AAPL?")
    assert reply.text == "Nothing placed. Do you want me to stage 10 AAPL?"
    assert staged(service) == []


def test_a_typo_without_a_model_gets_the_closest_command_not_the_whole_list(chat, service) -> None:
    [reply] = say(chat, "postions")
    assert reply.text.startswith("I didn't catch that. Did you mean `positions`?")
    [order] = say(chat, "byu 10 AAPL")
    assert "`buy 10 AAPL`" in order.text
    assert staged(service) == []


def test_close_all_stages_one_closing_ticket_per_position_and_executes_none(chat, service, clock) -> None:
    hold(chat, service, clock, "CL", "70.00", "70.02", "2")
    hold(chat, service, clock, "AAPL", "189.98", "190.02", "3")
    tickets = say(chat, "flatten everything")
    assert sorted(t.text.split(",")[0] for t in tickets) == ["SELL 2 CL MKT DAY", "SELL 3 AAPL MKT DAY"]
    assert all(t.actions[0].command.startswith("yes ") for t in tickets)
    assert {o.status for o in staged(service)} == {OrderStatus.PENDING_CONFIRMATION}
    assert len(uc.positions(service, "alice")) == 2


def test_close_all_with_nothing_held_says_so(chat, service) -> None:
    assert say(chat, "close all")[0].text == "You have no open positions."


def test_a_close_at_a_price_is_staged_as_the_resting_order_the_trader_named(chat, service, clock) -> None:
    hold(chat, service, clock, "AAPL", "189.98", "190.02", "3")
    expected = {
        "stop loss on AAPL at 185": "SELL 3 AAPL STP 185.00 GTC",
        "take profit on apple at 200": "SELL 3 AAPL LMT 200.00 GTC",
        "trail my AAPL by 5%": "SELL 3 AAPL TRAIL 5% GTC",
    }
    for text, summary in expected.items():
        [reply] = say(chat, text)
        assert reply.text.startswith(summary), reply.text
    assert {o.order_type.value for o in staged(service)} == {"stop", "limit", "trailing_stop"}
    [close] = say(chat, "take profits on half my AAPL")  # no price: at market, as the trader said
    assert close.text.startswith("SELL 1.5 AAPL MKT DAY")  # a market close trades fractions of a share


def test_a_what_if_answers_with_the_risk_decision_and_buying_power_and_stages_nothing(chat, service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    answer = say(chat, "what if I buy 10 AAPL")[0].text
    assert answer.startswith("What if: Risk OK. It would tie up 950.10 USD; buying power ")
    assert answer.endswith("Nothing was staged.")
    refused = say(chat, "what if I buy 9000 AAPL")[0].text
    assert refused.startswith("What if: ") and "1,000,000.00 USD" in refused
    assert staged(service) == []


def test_a_modify_is_a_ticket_that_changes_the_order_on_yes_and_fills_are_listed(chat, service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    [ticket] = say(chat, "buy 1 CL @ 65 gtc")
    say(chat, ticket.actions[0].command)
    [working] = uc.list_orders(service, "alice", open_only=True)
    [reply] = say(chat, f"move order {working.id} to 66")
    assert reply.text.startswith(f"Change order {working.id} to BUY 1 CL LMT 66.00 GTC")
    assert uc.get_order(service, "alice", working.id).limit_price == 65  # nothing changed before the yes
    say(chat, reply.actions[0].command)
    assert uc.get_order(service, "alice", working.id).limit_price == 66
    assert say(chat, "show my fills")[0].text == "No fills yet."
    say(chat, "buy 1 CL")
    say(chat, say(chat, "buy 2 CL")[0].actions[0].command)
    assert "BUY 2 CL at 70.02" in say(chat, "show my fills")[0].text


def test_moving_a_bracket_exits_price_from_the_chat_changes_only_that_price(chat, service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="bracket",
                                                   take_profit_price="105.00", stop_loss_price="95.00"))
    stop = next(o for o in uc.list_orders(service, "alice", open_only=True)
                if o.parent_id == entry.id and o.order_type.value == "stop")
    [reply] = say(chat, f"move my stop on {stop.id} to 97")
    [ticket] = staged(service)
    assert ticket.changes == ["stop_price"]
    [done] = say(chat, reply.actions[0].command)
    assert stop.id in done.text
    moved = uc.get_order(service, "alice", stop.id)
    assert (moved.stop_price, moved.quantity, moved.status) == (Decimal("97"), Decimal("10"), OrderStatus.ACCEPTED)
    assert uc.get_order(service, "alice", ticket.id).status is OrderStatus.CANCELLED  # the ticket is used up


def test_a_chat_change_applies_only_what_the_trader_changed_not_the_fields_as_they_were(chat, service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="limit", limit_price="98"))
    [reply] = say(chat, f"move order {resting.id} to 97")
    uc.modify_order(service, "alice", resting.id, quantity=Decimal(20))  # changed elsewhere before the yes
    say(chat, reply.actions[0].command)
    changed = uc.get_order(service, "alice", resting.id)
    assert (changed.limit_price, changed.quantity) == (Decimal("97"), Decimal("20"))
