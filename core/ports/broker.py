"""The broker port: where accepted orders go to be worked and filled.

A broker does not write to the store. It answers with events and core.usecases.trading.execution books them
(order state, fills, positions, audit), so every broker is booked the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from core.instruments import Instrument
from core.market import Quote
from core.orders import Fill, Order, Side
from core.venues import PAPER, Venue


class EventKind(StrEnum):
    ACCEPTED = "accepted"  # the broker is now working the order
    UNCONFIRMED = "unconfirmed"  # the order may have reached the venue, which has not confirmed it (pending_new)
    FILL = "fill"  # an execution; ``fill`` is set
    CANCELLED = "cancelled"  # cancelled by request, or the unfilled rest of an ioc/fok order
    REJECTED = "rejected"  # the broker refused the order; ``reason`` says why
    EXPIRED = "expired"
    TRIGGERED = "triggered"  # a stop_limit's stop was touched: it now works as a limit order
    TRAIL_MOVED = "trail_moved"  # a trailing stop's reference price moved; ``trail_reference`` is set


class BrokerEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    kind: EventKind
    order_id: str
    time: AwareDatetime
    fill: Fill | None = None
    reason: str | None = None
    trail_reference: Decimal | None = None


class Broker(ABC):
    name: str = "broker"

    @abstractmethod
    def submit(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        """Start working an accepted-by-risk order (status new, or pending_new while a venue is asked); the first
        event is ACCEPTED or REJECTED, or UNCONFIRMED when a venue may hold the order but did not say so."""

    @abstractmethod
    def cancel(self, order: Order, now: datetime) -> list[BrokerEvent]:
        """Stop working an open order."""

    @abstractmethod
    def modify(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        """Work a working order anew after its quantity or prices changed (the order carries the new values);
        it may fill at once if it is now marketable."""

    @abstractmethod
    def on_quote(self, orders: list[Order], quote: Quote, now: datetime) -> list[BrokerEvent]:
        """Evaluate working orders on ``quote.symbol`` against a new quote, oldest order first."""

    def market_price(self, account_id: str, side: Side, quote: Quote, instrument: Instrument) -> Decimal:
        """What an order at market on ``side`` would pay on ``quote``: the quote's side, worsened by the
        venue's slippage where it has one (the paper broker's). The gate and notional sizing price at it."""
        return quote.price_to(side)

    def venue_for(self, account_id: str) -> Venue:
        """Where ``account_id``'s orders go (configuration decides; see core/venues.py)."""
        return PAPER

    def fresh_quote(self, account_id: str, symbol: str) -> Quote | None:
        """A quote from the account's venue when the streams have none fresh; None where there is no venue to ask."""
        return None

    def listed(self, account_id: str, symbol: str) -> Instrument | None:
        """``symbol`` as the account's venue lists it (its tick, lot, fractionable and shortable flags), UnknownSymbol
        if the venue does not list it; None where the account trades Parley's shipped catalog (paper)."""
        return None
