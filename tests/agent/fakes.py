"""A scripted chat model for agent tests: it plays back replies and records what it was sent.

    model = ScriptedChatModel(responses=[tool_call("get_positions"), "You hold 10 AAPL."])

A response is an AIMessage, a string (a plain answer), or a callable that gets the messages the model
was sent and returns either (or raises, or sleeps). ``bind_tools`` returns the model itself, so
LangChain's ``create_agent`` can use it; the tools it was bound with are kept in ``bound_tools``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

_ids = itertools.count(1)


class ScriptedChatModel(BaseChatModel):
    responses: list[Any]
    received: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[Any] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        self.bound_tools[:] = list(tools)
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.received.append(list(messages))
        turn = len(self.received) - 1
        if turn >= len(self.responses):
            raise RuntimeError(f"the script has {len(self.responses)} replies; call {turn + 1} was one too many")
        step = self.responses[turn]
        if callable(step):
            step = step(list(messages))
        message = AIMessage(content=step) if isinstance(step, str) else step
        return ChatResult(generations=[ChatGeneration(message=message)])

    def tool_results(self, call: int = -1) -> list[ToolMessage]:
        """The tool messages among what the model was sent on call ``call`` (the last one by default)."""
        return [m for m in self.received[call] if isinstance(m, ToolMessage)]


def tool_call(name: str, **args: Any) -> AIMessage:
    """An AI message asking for one tool call, with a fresh call id."""
    call = {"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}
    return AIMessage(content="", tool_calls=[call])


def raising(exc: Exception) -> Callable[[list[BaseMessage]], AIMessage]:
    def step(messages: list[BaseMessage]) -> AIMessage:
        raise exc

    return step


def sleeping(seconds: float, then: AIMessage | str = "too late") -> Callable[[list[BaseMessage]], AIMessage | str]:
    def step(messages: list[BaseMessage]) -> AIMessage | str:
        time.sleep(seconds)
        return then

    return step


def last_tool_result(messages: list[BaseMessage]) -> str:
    """The content of the newest tool message in ``messages``."""
    return next(m for m in reversed(messages) if isinstance(m, ToolMessage)).text
