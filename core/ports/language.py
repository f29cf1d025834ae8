"""The language port: what the core asks of the words a trader writes, in core types.

The use cases that meet text (a messenger's inbox, a signal that carries a command) must not import the agent,
which sits a floor above them, so they ask this port instead of taking loose callables. The agent implements it
(agent/language.py: the command grammar and the LLM conversation); the composition root builds that once, on the
first use, and hands it over in ``Deps.language``, so a handler that never reads words never loads the agent.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol

from core.accounts import Account
from core.channels import Action
from core.orders import OrderRequest


class Reply(Protocol):
    """One answer to send back: its text and the buttons under it (each button's command is sent back as typed)."""

    @property
    def text(self) -> str: ...

    @property
    def actions(self) -> Sequence[Action]: ...


class Language(ABC):
    @abstractmethod
    def converse(self, account: Account | str, thread: str, text: str) -> Sequence[Reply]:
        """Answer one message of ``account`` (loaded already, or its id) in ``thread``: the replies, in order.
        What the trader may not do is answered in words, not raised; an unknown account raises NotFound."""

    @abstractmethod
    def asks_only(self, text: str) -> bool:
        """Does ``text`` only ask (positions, orders, quotes, help...)? What a sender whose identity is not
        proven (unverified email) may still send: nothing read as free text, which could become an order."""

    @abstractmethod
    def read_order(self, text: str) -> OrderRequest:
        """A Parley command ("buy 10 AAPL @ 190") read into an order request, for signals that carry text;
        InvalidRequest (code ``not_an_order``) if the text is not an order."""
