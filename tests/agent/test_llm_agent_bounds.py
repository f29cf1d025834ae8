"""The LLM agent's turn is bounded: tool errors and model failures end it gracefully, and so do time and tool calls."""

from __future__ import annotations

import json
import time

from agent.llm import FALLBACK, AgentTurn
from core import usecases as uc
from core.orders import OrderStatus
from tests.agent.fakes import last_tool_result, raising, sleeping, tool_call
from tests.agent.llm_support import agent, tool_message
from tests.agent.llm_support import service as service  # fixture


def test_a_tool_error_reaches_the_model_as_text_and_the_turn_completes(service) -> None:
    bot, model = agent(
        service, tool_call("get_quote", symbol="ZZZZ"), lambda messages: "Sorry: " + last_tool_result(messages)
    )
    reply = bot.respond("alice", [], "price of zzzz?")
    error = json.loads(tool_message(model, "get_quote").text)
    assert error == {"error": "unknown_symbol", "message": "Unknown symbol 'ZZZZ'."}
    assert reply.text.startswith("Sorry: ") and "unknown_symbol" in reply.text


def test_a_model_that_raises_gets_the_graceful_reply(service) -> None:
    bot, _ = agent(service, raising(ConnectionError("model endpoint down")))
    assert bot.respond("alice", [], "hello?") == AgentTurn(text=FALLBACK, tickets=[], proposals=[])


def test_a_model_that_fails_after_staging_keeps_the_ticket(service) -> None:
    bot, _ = agent(service, tool_call("stage_order", symbol="AAPL", side="buy", quantity="1"), raising(ValueError("x")))
    reply = bot.respond("alice", [], "buy one apple")
    assert reply.text.startswith(FALLBACK)
    [ticket] = reply.tickets
    assert uc.get_order(service, "alice", ticket.order_id).status is OrderStatus.PENDING_CONFIRMATION


def test_a_hanging_model_is_abandoned_at_the_timeout_and_can_act_no_more(service) -> None:
    late_order = tool_call("stage_order", symbol="AAPL", side="buy", quantity="1")
    bot, model = agent(service, sleeping(0.6, then=late_order), "done", timeout_seconds=0.2)
    reply = bot.respond("alice", [], "buy one apple, slowly")
    assert len(model.received) == 1  # answered while the model was still asleep on its first request
    assert reply == AgentTurn(text=FALLBACK, tickets=[], proposals=[])
    deadline = time.perf_counter() + 5
    while len(model.received) < 2 and time.perf_counter() < deadline:
        time.sleep(0.02)
    assert json.loads(tool_message(model, "stage_order").text)["error"] == "turn_over"
    assert uc.list_orders(service, "alice") == []


def test_a_model_that_keeps_calling_tools_is_stopped_after_max_tool_calls(service) -> None:
    bot, model = agent(service, *[lambda messages: tool_call("get_quote", symbol="AAPL")] * 10, max_tool_calls=3)
    reply = bot.respond("alice", [], "watch apple for me")
    assert reply == AgentTurn(text=FALLBACK, tickets=[], proposals=[])
    assert len(model.received) == 4  # three calls ran; the fourth request ended the turn
    assert len(model.tool_results()) == 3


def test_tool_calls_up_to_the_bound_are_allowed(service) -> None:
    calls = [tool_call("get_quote", symbol="AAPL") for _ in range(3)]  # one message each: ids must differ
    bot, model = agent(service, *calls, "AAPL is 190.", max_tool_calls=3)
    assert bot.respond("alice", [], "apple, thrice").text == "AAPL is 190."
    assert len(model.tool_results()) == 3
