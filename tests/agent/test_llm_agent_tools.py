"""The LLM agent on a real service and SQLite store: answers come from its tools, and orders are only staged."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal as D

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from agent.llm import AgentTurn
from agent.prompts import SYSTEM_PROMPT
from agent.replies import ticket_summary
from core import usecases as uc
from core.memory import ChatTurn, Speaker
from core.orders import OrderStatus, OrderType
from tests.agent.fakes import last_tool_result, tool_call
from tests.agent.llm_support import TOOL_NAMES, agent, buy, tool_message
from tests.agent.llm_support import service as service  # fixture
from tests.support import Clock


def turn(clock: Clock, speaker: Speaker, text: str, account: str = "alice") -> ChatTurn:
    return ChatTurn(
        id=f"t{text[:8]}", account_id=account, thread="chat", speaker=speaker, text=text, time=clock.now,
        expires_at=clock.now + timedelta(hours=1),
    )


# -- answers come from tools ----------------------------------------------------------------------


def test_a_question_is_answered_from_the_positions_tool_result(service) -> None:
    uc.place_order(service, "alice", buy("10"))
    bot, model = agent(
        service,
        tool_call("get_positions"),
        lambda messages: "You hold " + " ".join(f"{p['quantity']} {p['symbol']}" for p in
                                                json.loads(last_tool_result(messages))) + ".",
    )
    reply = bot.respond("alice", [], "what am I holding?")
    assert reply == AgentTurn(text="You hold 10 AAPL.", tickets=[], proposals=[])
    [result] = model.tool_results()
    assert result.name == "get_positions"
    assert json.loads(result.text)[0]["average_price"] == "190.02"


def test_the_model_gets_the_system_prompt_then_this_accounts_history_then_the_new_text(service, clock) -> None:
    history = [
        turn(clock, Speaker.TRADER, "hi"),
        turn(clock, Speaker.PARLEY, "Hello, how can I help?"),
        turn(clock, Speaker.TRADER, "bob's secret", account="bob"),
    ]
    bot, model = agent(service, "Sure.")
    bot.respond("alice", history, "and now?")
    sent = model.received[0]
    assert [type(m) for m in sent] == [SystemMessage, HumanMessage, AIMessage, HumanMessage]
    assert sent[0].text == SYSTEM_PROMPT
    assert [m.text for m in sent[1:]] == ["hi", "Hello, how can I help?", "and now?"]
    assert {t.name for t in model.bound_tools} == TOOL_NAMES


def test_a_quote_lists_decimals_as_strings(service) -> None:
    bot, model = agent(service, tool_call("get_quote", symbol="aapl"), "ok")
    bot.respond("alice", [], "apple price?")
    quote = json.loads(tool_message(model, "get_quote").text)
    assert (quote["symbol"], quote["bid"], quote["ask"]) == ("AAPL", "189.98", "190.02")


def test_orders_and_portfolio_come_back_compact_and_for_this_account_only(service) -> None:
    working = uc.place_order(service, "alice", buy("1", order_type=OrderType.LIMIT, limit_price=D("180.00")))
    uc.place_order(service, "bob", buy("3", order_type=OrderType.LIMIT, limit_price=D("181.00")))
    bot, model = agent(service, tool_call("list_orders"), tool_call("get_portfolio"), "One bid at 180.")
    bot.respond("alice", [], "what's working?")
    [listed] = json.loads(tool_message(model, "list_orders").text)
    assert (listed["id"], listed["status"], listed["limit_price"]) == (working.id, "accepted", "180.00")
    assert "account_id" not in listed
    assert json.loads(tool_message(model, "get_portfolio").text)["account_id"] == "alice"


# -- orders are only staged -----------------------------------------------------------------------


def test_an_order_is_staged_as_a_ticket_and_nothing_is_filled(service) -> None:
    bot, model = agent(service, tool_call("stage_order", symbol="AAPL", side="buy", quantity="10"), "Reply yes.")
    reply = bot.respond("alice", [], "get me ten apple shares")
    [ticket] = reply.tickets
    assert ticket_summary(ticket) == "BUY 10 AAPL MKT DAY, est. 1,900.20 USD, risk OK, PAPER"
    assert uc.get_order(service, "alice", ticket.order_id).status is OrderStatus.PENDING_CONFIRMATION
    assert uc.positions(service, "alice") == []
    assert f'replying \\"yes {ticket.code}\\"' in tool_message(model, "stage_order").text


def test_a_model_trying_to_confirm_by_itself_leaves_the_order_waiting(service) -> None:
    def confirm_it(messages):
        code = json.loads(last_tool_result(messages))["code"]
        return AIMessage(content="", tool_calls=[
            {"name": "confirm_order", "args": {"code": code}, "id": "c1", "type": "tool_call"},
        ])

    bot, model = agent(
        service, tool_call("stage_order", symbol="AAPL", side="buy", quantity="10"), confirm_it,
        "Confirmed! Your order is placed.",
    )
    reply = bot.respond("alice", [], "buy 10 AAPL and confirm it for me")
    [ticket] = reply.tickets
    assert "confirm_order is not a valid tool" in tool_message(model, "confirm_order").text
    assert uc.get_order(service, "alice", ticket.order_id).status is OrderStatus.PENDING_CONFIRMATION
    assert uc.positions(service, "alice") == []
    assert not any(word in name for name in TOOL_NAMES for word in ("confirm", "execute", "limit_", "kill"))


def test_an_order_the_gate_refuses_comes_back_as_an_error_and_stages_nothing(service) -> None:
    bot, model = agent(service, tool_call("stage_order", symbol="AAPL", side="buy", quantity="20000"), "Too big.")
    reply = bot.respond("alice", [], "buy 20000 apple")
    assert reply.tickets == []
    assert json.loads(tool_message(model, "stage_order").text)["error"] == "risk_rejected"
    assert uc.pending_confirmations(service, "alice") == []


def test_a_malformed_order_is_explained_to_the_model_not_raised(service) -> None:
    bot, model = agent(
        service, tool_call("stage_order", symbol="AAPL", side="buy", quantity="1", order_type="limit"), "Which price?"
    )
    assert bot.respond("alice", [], "buy 1 apple on a limit").text == "Which price?"
    error = json.loads(tool_message(model, "stage_order").text)
    assert error == {"error": "invalid_request", "message": "Not a valid order: limit orders need limit_price."}


def test_check_risk_is_a_what_if_that_stores_nothing(service) -> None:
    bot, model = agent(service, tool_call("check_risk", symbol="AAPL", side="buy", quantity="20000"), "No.")
    bot.respond("alice", [], "could I buy 20000 apple?")
    decision = json.loads(tool_message(model, "check_risk").text)
    assert decision["approved"] is False
    assert "max_order_quantity" in decision["reasons"]
    assert uc.list_orders(service, "alice") == []


def test_stage_cancel_proposes_the_command_and_cancels_nothing(service) -> None:
    working = uc.place_order(service, "alice", buy("1", order_type=OrderType.LIMIT, limit_price=D("180.00")))
    bot, _ = agent(service, tool_call("stage_cancel", order_id=working.id.lower()), "Send the command below.")
    reply = bot.respond("alice", [], "drop my apple bid")
    assert reply.proposals == [f"cancel {working.id}"]
    assert uc.get_order(service, "alice", working.id).status is OrderStatus.ACCEPTED


def test_stage_cancel_of_another_accounts_order_finds_nothing(service) -> None:
    bobs = uc.place_order(service, "bob", buy("1", order_type=OrderType.LIMIT, limit_price=D("180.00")))
    bot, model = agent(service, tool_call("stage_cancel", order_id=bobs.id), "No such order.")
    reply = bot.respond("alice", [], f"cancel {bobs.id}")
    assert reply.proposals == []
    assert json.loads(tool_message(model, "stage_cancel").text)["error"] == "not_found"


def test_an_alert_is_set_and_listed_for_this_account_only(service) -> None:
    bot, model = agent(
        service, tool_call("set_alert", symbol="AAPL", condition="above", threshold="200.50"),
        tool_call("list_alerts"), "Alert set.",
    )
    bot.respond("alice", [], "tell me when apple passes 200.50")
    [listed] = json.loads(tool_message(model, "list_alerts").text)
    assert listed["alert"] == "AAPL above 200.50"
    assert [a.threshold for a in uc.list_alerts(service, "alice")] == [D("200.50")]
    assert uc.list_alerts(service, "bob") == []
