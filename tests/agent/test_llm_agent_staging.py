"""The LLM agent's tools for closing, changing and looking back: they stage tickets and read, never act."""

from __future__ import annotations

import json

from core import usecases as uc
from core.orders import OrderStatus
from tests.agent.fakes import tool_call
from tests.agent.llm_support import agent, buy, tool_message
from tests.agent.llm_support import service as service  # fixture


def test_closing_and_changing_are_staged_never_done(service) -> None:
    uc.place_order(service, "alice", buy("10"))
    resting = uc.place_order(service, "alice", buy("5", order_type="limit", limit_price="180.00"))
    bot, model = agent(
        service,
        tool_call("stage_close", symbol="AAPL", order_type="stop", stop_price="170.00"),
        tool_call("stage_modify", order_id=resting.id, limit_price="181.00"),
        tool_call("stage_close_all"),
        "Three tickets are waiting for you.",
    )
    reply = bot.respond("alice", [], "protect my apple, nudge that order up and flatten me")
    assert len(reply.tickets) == 3
    stop, change, close = reply.tickets
    assert (stop.request.order_type.value, stop.request.stop_price, stop.request.quantity) == ("stop", 170, 10)
    assert change.replaces == resting.id
    assert close.request.side.value == "sell"
    assert uc.get_order(service, "alice", resting.id).limit_price == 180  # changed only on the trader's yes
    assert [p.quantity for p in uc.positions(service, "alice")] == [10]
    assert json.loads(tool_message(model, "stage_modify").text)["staged"] is True


def test_the_what_if_tool_reports_buying_power_and_fills_are_listed(service) -> None:
    uc.place_order(service, "alice", buy("10"))
    bot, model = agent(
        service, tool_call("check_risk", symbol="AAPL", side="buy", quantity="11"), tool_call("list_fills"), "ok"
    )
    bot.respond("alice", [], "could I buy ten more, and what have I bought")
    what_if = json.loads(tool_message(model, "check_risk").text)
    assert what_if["approved"] is True and what_if["ties_up"] == "1045.11"  # half of 11 x 190.02
    assert float(what_if["buying_power_after"]) < float(what_if["buying_power"])
    [fill] = json.loads(tool_message(model, "list_fills").text)
    assert (fill["symbol"], fill["quantity"]) == ("AAPL", "10")
    assert uc.list_orders(service, "alice", open_only=True) == []


def test_a_modify_ticket_changes_the_order_only_when_confirmed(service) -> None:
    resting = uc.place_order(service, "alice", buy("5", order_type="limit", limit_price="180.00"))
    ticket = uc.stage_modify(service, "alice", resting.id, quantity=8)
    assert uc.get_order(service, "alice", resting.id).quantity == 5
    changed = uc.confirm_order(service, "alice", ticket.code)
    assert changed.id == resting.id and changed.quantity == 8 and changed.status is OrderStatus.ACCEPTED
    assert uc.get_order(service, "alice", ticket.order_id).status is OrderStatus.CANCELLED  # the ticket is used up
