"""Helpers shared by tests that drive the use cases: a settable clock, quotes, order requests, a scripted
language port."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from agent.replies import Reply
from core import usecases as uc
from core.accounts import Account
from core.errors import InvalidRequest
from core.market import Quote
from core.orders import Order, OrderRequest, Side
from core.ports.language import Language


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def tick(service: uc.Deps, clock: Clock, symbol: str, bid: str, ask: str) -> list[Order]:
    """One second on, a new quote for ``symbol``."""
    clock.advance(seconds=1)
    return uc.on_quote(service, Quote(symbol=symbol, bid=D(bid), ask=D(ask), time=clock.now))


def order(symbol: str, side: str, quantity: str, **fields: str) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=Side(side), quantity=D(quantity), **fields)


@dataclass
class ScriptedLanguage(Language):
    """The language port, scripted, for use cases that meet words: every message is answered ``answer``, only the
    texts in ``questions`` only ask, and ``orders`` holds the text a signal may carry and the order it reads as.
    What it was asked is kept in ``conversed`` and ``read``."""

    answer: str = "ok"
    questions: frozenset[str] = frozenset()
    orders: dict[str, OrderRequest] = field(default_factory=dict)
    conversed: list[tuple[str, str, str]] = field(default_factory=list)
    read: list[str] = field(default_factory=list)

    def converse(self, account: Account | str, thread: str, text: str) -> list[Reply]:
        self.conversed.append((account if isinstance(account, str) else account.id, thread, text))
        return [Reply(text=self.answer)]

    def asks_only(self, text: str) -> bool:
        return text in self.questions

    def read_order(self, text: str) -> OrderRequest:
        self.read.append(text)
        if text not in self.orders:
            raise InvalidRequest(f"{text!r} is not an order Parley can read.", code="not_an_order")
        return self.orders[text]
