"""Helpers shared by tests that drive the use cases: a settable clock, quotes, order requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from core import usecases as uc
from core.market import Quote
from core.orders import Order, OrderRequest, Side


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
