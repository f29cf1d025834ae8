"""Helpers shared by tests that drive a real TradingService: a settable clock, quotes, order requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from core.market import Quote
from core.orders import Order, OrderRequest, Side
from core.service import TradingService


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def tick(service: TradingService, clock: Clock, symbol: str, bid: str, ask: str) -> list[Order]:
    """One second on, a new quote for ``symbol``."""
    clock.advance(seconds=1)
    return service.on_quote(Quote(symbol=symbol, bid=D(bid), ask=D(ask), time=clock.now))


def order(symbol: str, side: str, quantity: str, **fields: str) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=Side(side), quantity=D(quantity), **fields)
