"""Real venues behind the broker port: which venue an account trades on, and what a venue says of an order.

A venue (Alpaca, a CCXT exchange) works orders itself, so besides the broker port's submit, cancel and modify
it answers questions: where does this order stand (``lookup``), what does the account hold (``positions``),
what does the market quote now (``quote``), and what does it list (``instrument``). Reconciliation
(core/usecases/trading/reconcile.py) turns a venue's answers into the same broker events the paper broker emits.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from core.ids import derived_id
from core.instruments import Instrument
from core.market import Quote
from core.orders import Fill, Order, OrderStatus
from core.ports.broker import Broker, BrokerEvent, EventKind
from core.venues import PAPER, Venue


class VenueOrder(BaseModel):
    """An order as the venue reports it: cumulative fills, so a report can be read any number of times."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    client_id: str  # Parley's order id
    venue_id: str
    status: OrderStatus
    filled_quantity: Decimal = Decimal(0)
    average_price: Decimal | None = None
    reason: str | None = None
    time: AwareDatetime


class VenueBroker(Broker):
    """A broker that is a real venue."""

    venue: Venue = PAPER

    @abstractmethod
    def lookup(self, order: Order) -> VenueOrder | None:
        """The venue's report of ``order`` (found by its client order id), or None if the venue has no such order."""

    @abstractmethod
    def positions(self) -> dict[str, Decimal]:
        """What the venue holds, by Parley symbol (signed). A symbol met for the first time is looked up, so a cold
        start reports what a warm process would; nothing the venue holds is left out."""

    @abstractmethod
    def quote(self, symbol: str) -> Quote:
        """A fresh quote from the venue (QuoteUnavailable if it has none)."""

    @abstractmethod
    def instrument(self, symbol: str) -> Instrument:
        """The venue's listing of ``symbol`` as an instrument (tick, lot, fractionable), UnknownSymbol if unlisted."""

    def on_quote(self, orders: list[Order], quote: Quote, now: datetime) -> list[BrokerEvent]:
        return []  # the venue works its orders itself; what happened comes back through ``lookup``


class VenueDirectory(ABC):
    """Which accounts trade on a real venue, and the venue broker of each (reconciliation walks them)."""

    @abstractmethod
    def venue_accounts(self) -> list[str]: ...

    @abstractmethod
    def venue_broker(self, account_id: str) -> VenueBroker: ...


def fill_id(order_id: str, filled_quantity: Decimal) -> str:
    """A venue fill's id: the order and its cumulative filled quantity after the fill, so whoever reads a report
    (the placement, reconciliation, a replay) books the same fill under the same id, once."""
    return derived_id(order_id, "venue", format(filled_quantity.normalize(), "f"))


def report_events(order: Order, report: VenueOrder) -> list[BrokerEvent]:
    """The events that bring ``order`` (as Parley holds it) to where the venue's ``report`` stands: one fill for
    whatever filled since Parley last booked (at the price that makes the averages agree), then the status."""
    events: list[BrokerEvent] = []
    if order.status in _UNCONFIRMED and report.status is not OrderStatus.REJECTED:
        events.append(BrokerEvent(kind=EventKind.ACCEPTED, order_id=order.id, time=report.time))
    delta = report.filled_quantity - order.filled_quantity
    if delta > 0 and report.average_price is not None:
        booked = (order.average_price or Decimal(0)) * order.filled_quantity
        price = (report.average_price * report.filled_quantity - booked) / delta
        if price <= 0:  # the venue's rounded average cannot be split exactly: its average will do
            price = report.average_price
        fill = Fill(
            id=fill_id(order.id, report.filled_quantity), order_id=order.id, account_id=order.account_id,
            symbol=order.symbol, side=order.side, quantity=delta, price=_plain(price), time=report.time,
        )
        events.append(BrokerEvent(kind=EventKind.FILL, order_id=order.id, time=report.time, fill=fill))
    kind = _ENDED.get(report.status)
    if kind is not None and order.status is not report.status:
        events.append(BrokerEvent(kind=kind, order_id=order.id, time=report.time, reason=report.reason))
    return events


_UNCONFIRMED = (OrderStatus.NEW, OrderStatus.PENDING_NEW)  # states the venue's report confirms, whatever it says
_ENDED = {
    OrderStatus.CANCELLED: EventKind.CANCELLED,
    OrderStatus.REJECTED: EventKind.REJECTED,
    OrderStatus.EXPIRED: EventKind.EXPIRED,
}


def _plain(price: Decimal) -> Decimal:
    """A derived price to ten places, trailing zeros dropped, never in exponent form (95000, not 9.5E+4)."""
    text = format(price.quantize(Decimal("1e-10")), "f").rstrip("0").rstrip(".")
    return Decimal(text)
