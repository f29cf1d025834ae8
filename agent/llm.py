"""The LLM agent: free text the command grammar does not claim, answered with tools over one account.

A turn is bounded twice: LangChain's tool-call limit middleware stops a model that keeps calling tools
(plus a graph recursion limit), and a wall-clock timeout abandons a model that hangs. Whatever goes
wrong, the trader gets a short fallback reply, and tickets already staged are still shown, since they
are real and wait for the trader's "yes <code>".
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import ToolCallLimitMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from agent.limits import HISTORY_TURNS, MAX_REPLY_LENGTH, MAX_REPLY_TOKENS
from agent.prompts import SYSTEM_PROMPT
from agent.tools import TurnLedger, build_tools
from core.memory import ChatTurn, Speaker
from core.usecases import Deps, Ticket

logger = logging.getLogger(__name__)

FALLBACK = "I couldn't work that out just now — try a command like `buy 10 AAPL` or `help`."
TICKETS_WAITING = "The order below still waits for your yes."
HISTORY_CHARS = 2000
DEFAULT_MODEL = "gpt-4o-mini"
# The turn may run a little past one model request's own timeout before it is abandoned.
TURN_TIMEOUT_MARGIN_SECONDS = 5.0


@dataclass
class AgentTurn:
    text: str
    tickets: list[Ticket] = field(default_factory=list)
    proposals: list[str] = field(default_factory=list)


class LlmAgent:
    def __init__(
        self,
        deps: Deps,
        model: BaseChatModel,
        *,
        max_tool_calls: int = 6,
        timeout_seconds: float = 25.0,
    ) -> None:
        if max_tool_calls < 1 or timeout_seconds <= 0:
            raise ValueError("max_tool_calls must be at least 1 and timeout_seconds positive")
        self.deps = deps
        self.model = model
        self.max_tool_calls = max_tool_calls
        self.timeout_seconds = timeout_seconds
        # Each tool round is three graph steps (model, limit check, tools); the limit middleware stops
        # the loop first, this only guards against a graph that somehow keeps going.
        self.recursion_limit = 3 * (max_tool_calls + 2) + 5

    def respond(self, account_id: str, history: list[ChatTurn], text: str) -> AgentTurn:
        """Answer ``text`` for ``account_id``, given the recent turns of the thread (oldest first)."""
        ledger = TurnLedger()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["messages"] = self._run(account_id, history, text, ledger)
            except Exception as exc:  # reported below, in the caller's thread
                outcome["error"] = exc

        worker = threading.Thread(
            target=contextvars.copy_context().run, args=(work,), name="llm-turn", daemon=True
        )
        worker.start()
        worker.join(self.timeout_seconds)
        tickets, proposals = ledger.close()  # from here on, a model still running can do nothing
        if worker.is_alive():
            logger.warning("LLM turn for account %s timed out after %ss", account_id, self.timeout_seconds)
            return _fallback(tickets, proposals)
        if "messages" not in outcome:
            logger.warning("LLM turn for account %s failed", account_id, exc_info=outcome.get("error"))
            return _fallback(tickets, proposals)
        reply = _final_text(outcome["messages"])
        if not reply:
            return _fallback(tickets, proposals)
        return AgentTurn(text=reply, tickets=tickets, proposals=proposals)

    def _run(self, account_id: str, history: list[ChatTurn], text: str, ledger: TurnLedger) -> list[BaseMessage]:
        agent = create_agent(
            self.model,
            build_tools(self.deps, account_id, ledger),
            system_prompt=SYSTEM_PROMPT,
            middleware=[ToolCallLimitMiddleware(run_limit=self.max_tool_calls, exit_behavior="error")],
        )
        messages = [*history_messages(account_id, history), HumanMessage(content=text)]
        result = agent.invoke({"messages": messages}, config={"recursion_limit": self.recursion_limit})
        return result["messages"]


def history_messages(account_id: str, history: list[ChatTurn]) -> list[BaseMessage]:
    """The last turns of this account as chat messages, oldest first; another account's turns are dropped."""
    own = [turn for turn in history if turn.account_id == account_id][-HISTORY_TURNS:]
    return [
        HumanMessage(content=turn.text[:HISTORY_CHARS]) if turn.speaker is Speaker.TRADER
        else AIMessage(content=turn.text[:HISTORY_CHARS])
        for turn in own
    ]


def _final_text(messages: list[BaseMessage]) -> str:
    last = messages[-1] if messages else None
    if not isinstance(last, AIMessage) or last.tool_calls:
        return ""
    return last.text.strip()[:MAX_REPLY_LENGTH].strip()


def _fallback(tickets: list[Ticket], proposals: list[str]) -> AgentTurn:
    text = f"{FALLBACK} {TICKETS_WAITING}" if tickets else FALLBACK
    return AgentTurn(text=text, tickets=tickets, proposals=proposals)


# -- configuration --------------------------------------------------------------------------------


class LlmSettings(BaseModel):
    """The LLM settings, read once from the environment. The key is a SecretStr: it never prints."""

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_tool_calls: int = Field(default=6, ge=1)
    max_tokens: int = Field(default=MAX_REPLY_TOKENS, ge=16)

    @property
    def turn_timeout_seconds(self) -> float:
        return self.timeout_seconds + TURN_TIMEOUT_MARGIN_SECONDS


def llm_settings_from_env(env: Mapping[str, str] = os.environ) -> LlmSettings | None:
    """Settings from the environment; None when OPENAI_API_KEY is unset or empty (no LLM configured)."""

    def given(name: str) -> str | None:
        return env.get(name, "").strip() or None

    key = given("OPENAI_API_KEY")
    if key is None:
        return None
    fields: dict[str, Any] = {
        "model": given("PARLEY_LLM_MODEL"),
        "base_url": given("PARLEY_LLM_BASE_URL"),
        "timeout_seconds": given("PARLEY_LLM_TIMEOUT"),
        "max_tool_calls": given("PARLEY_LLM_MAX_TOOL_CALLS"),
        "max_tokens": given("PARLEY_LLM_MAX_TOKENS"),
    }
    return LlmSettings(api_key=key, **{name: value for name, value in fields.items() if value is not None})


def build_llm_agent(deps: Deps, env: Mapping[str, str] = os.environ) -> LlmAgent | None:
    """An agent on an OpenAI-compatible chat model, or None when no key is configured. No network here."""
    settings = llm_settings_from_env(env)
    if settings is None:
        return None
    return LlmAgent(
        deps, chat_model(settings), max_tool_calls=settings.max_tool_calls,
        timeout_seconds=settings.turn_timeout_seconds,
    )


def chat_model(settings: LlmSettings) -> BaseChatModel:
    """The configured OpenAI-compatible chat model. No network call is made here."""
    from langchain_openai import ChatOpenAI  # the OpenAI client only when a model is actually built

    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key,
        timeout=settings.timeout_seconds,
        max_retries=1,
        max_tokens=settings.max_tokens,  # a runaway answer is stopped at the model, not paid for in full
    )
