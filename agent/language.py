"""The agent's side of the language port (core/ports/language.py): the command grammar and the conversation.

One object answers every question the core asks of words, so the inbox and the signals use cases see one typed
port instead of three loose callables. The LLM stays behind the conversation: LangChain is loaded on the first
free-text message with a key set, never by building this.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from agent import intents as i
from agent.conversation import Conversation
from agent.grammar import parse
from agent.replies import Reply
from core.accounts import Account
from core.errors import InvalidRequest
from core.orders import OrderRequest
from core.ports.language import Language
from core.usecases.common import Deps

if TYPE_CHECKING:
    from agent.llm import LlmAgent

# What the grammar reads as a question: nothing here stages, changes or confirms an order.
QUESTIONS = (i.Positions, i.Portfolio, i.ListOrders, i.Fills, i.RiskStatus, i.Help, i.ListAlerts, i.Quote, i.WhatIf)


class AgentLanguage(Language):
    """Parley's words: ``converse`` is the conversation service (grammar first, the LLM for free text when one
    is configured); ``asks_only`` and ``read_order`` are the grammar alone, with no model involved."""

    def __init__(
        self,
        deps: Deps,
        *,
        llm: LlmAgent | None = None,
        llm_factory: Callable[[Deps], LlmAgent | None] | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        self.conversation = Conversation(deps, llm=llm, llm_factory=llm_factory, env=env)

    def converse(self, account: Account | str, thread: str, text: str) -> list[Reply]:
        return self.conversation.converse(account, thread, text)

    def asks_only(self, text: str) -> bool:
        return isinstance(parse(text.strip()), QUESTIONS)

    def read_order(self, text: str) -> OrderRequest:
        intent = parse(text)
        if not isinstance(intent, i.PlaceOrder):
            raise InvalidRequest(f"{text!r} is not an order Parley can read.", code="not_an_order")
        return intent.to_order_request()
