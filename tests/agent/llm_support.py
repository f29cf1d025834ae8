"""Shared setup for the LLM agent tests: the service with bob and an AAPL quote, and an agent on a scripted model.

The `service` fixture here overrides the shared one for the test modules that import it by name.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from langchain_core.messages import ToolMessage

from agent.llm import LlmAgent
from core import usecases as uc
from core.orders import OrderRequest, Side
from tests.agent.fakes import ScriptedChatModel
from tests.support import Clock, tick

TOOL_NAMES = {
    "get_quote", "get_positions", "get_portfolio", "list_orders", "check_risk", "stage_order", "stage_cancel",
    "stage_close", "stage_close_all", "stage_modify", "list_fills", "set_alert", "list_alerts", "explain_limits",
}


@pytest.fixture
def service(service: uc.Deps, clock: Clock) -> uc.Deps:
    """The shared service, with bob beside alice and a first AAPL quote."""
    uc.create_account(service, "bob")
    tick(service, clock, "AAPL", "189.98", "190.02")
    return service


def agent(service: uc.Deps, *responses, **options) -> tuple[LlmAgent, ScriptedChatModel]:
    model = ScriptedChatModel(responses=list(responses))
    return LlmAgent(service, model, **options), model


def buy(quantity: str, **fields) -> OrderRequest:
    return OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(quantity), **fields)


def tool_message(model: ScriptedChatModel, name: str) -> ToolMessage:
    return next(m for m in model.tool_results() if m.name == name)
