"""A paper broker: works orders against quotes, with slippage and top-of-book liquidity, and keeps nothing.

Everything it needs is on the order (status, filled quantity, triggered, trail reference) and the quote,
so the same inputs always give the same events and fill ids, however often a stream is replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.ids import derived_id
from core.instruments import Instrument, InstrumentCatalog
from core.market import Quote
from core.orders import Fill, Order, OrderType, Side, TimeInForce, trail_stop
from core.ports.broker import Broker, BrokerEvent, EventKind

ZERO = Decimal(0)
ONE = Decimal(1)
BPS = Decimal(10000)
HUNDRED = Decimal(100)
IOC_REASON = "ioc: unfilled remainder cancelled"
FOK_REASON = "fok: not enough liquidity to fill in full"
# Orders that work at their limit once live (a stop_limit once triggered), and orders a price level triggers.
_LIMIT_LIKE = frozenset({OrderType.LIMIT, OrderType.BRACKET, OrderType.STOP_LIMIT})
_STOP_LIKE = frozenset({OrderType.STOP, OrderType.TAKE_PROFIT, OrderType.TRAILING_STOP})


@dataclass
class _Working:
    """What one evaluation knows about an order, updated as it goes (the order itself is never mutated)."""

    order: Order
    instrument: Instrument
    filled: Decimal
    triggered: bool
    reference: Decimal | None


class _Book:
    """Top-of-book size left to trade on each side during one evaluation; None means unlimited."""

    def __init__(self, quote: Quote) -> None:
        self._left: dict[Side, Decimal | None] = {Side.BUY: quote.ask_size, Side.SELL: quote.bid_size}

    def available(self, side: Side) -> Decimal | None:
        return self._left[side]

    def take(self, side: Side, quantity: Decimal) -> None:
        left = self._left[side]
        if left is not None:
            self._left[side] = left - quantity


class PaperBroker(Broker):
    """Simulated execution: market-like fills pay ``slippage_bps`` rounded to tick, limit fills improve."""

    name = "paper"

    def __init__(self, slippage_bps: Decimal = Decimal("0"), instruments: InstrumentCatalog | None = None) -> None:
        if not ZERO <= slippage_bps < BPS:
            raise ValueError(f"slippage_bps must be in [0, 10000), got {slippage_bps}")
        self.slippage_bps = slippage_bps
        self.instruments = instruments if instruments is not None else InstrumentCatalog.default()

    # -- the port ----------------------------------------------------------------------------------

    def submit(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        if quote is not None and quote.symbol != order.symbol.upper():
            quote = None
        if quote is None and order.at_market:
            reason = f"no quote for {order.symbol}: an order at market needs a price to trade at"
            return [_event(EventKind.REJECTED, order, now, reason=reason)]
        events = [_event(EventKind.ACCEPTED, order, now)]
        work = _Working(order, self.instruments.get(order.symbol), order.filled_quantity, order.triggered, None)
        if quote is None:
            if order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):  # nothing to trade against now
                reason = f"{order.time_in_force.value}: no fresh {order.symbol} quote to trade against"
                events.append(_event(EventKind.CANCELLED, order, now, reason=reason))
            return events
        book = _Book(quote)
        if order.order_type is OrderType.TRAILING_STOP:
            self._trail(work, quote, now, events)
        tif = order.time_in_force
        if tif is TimeInForce.FOK and self._fillable(work, quote, book) < order.remaining_quantity:
            events.append(_event(EventKind.CANCELLED, order, now, reason=FOK_REASON))
            return events
        self._evaluate(work, quote, book, now, events)
        if tif is TimeInForce.IOC and work.filled < order.quantity:
            events.append(_event(EventKind.CANCELLED, order, now, reason=IOC_REASON))
        return events

    def cancel(self, order: Order, now: datetime) -> list[BrokerEvent]:
        if order.status.is_final:
            return []
        return [_event(EventKind.CANCELLED, order, now, reason="cancelled by request")]

    def modify(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        if order.status.is_final or quote is None or quote.symbol != order.symbol.upper():
            return []
        return self.on_quote([order], quote, now)

    def on_quote(self, orders: list[Order], quote: Quote, now: datetime) -> list[BrokerEvent]:
        symbol = quote.symbol.upper()
        working = [o for o in orders if o.status.is_open and o.symbol.upper() == symbol]
        working.sort(key=lambda o: o.created_at)
        book = _Book(quote)
        events: list[BrokerEvent] = []
        for order in working:
            work = _Working(
                order, self.instruments.get(order.symbol), order.filled_quantity, order.triggered, order.trail_reference
            )
            if order.order_type is OrderType.TRAILING_STOP:
                self._trail(work, quote, now, events)
            self._evaluate(work, quote, book, now, events)
        return events

    # -- order types -------------------------------------------------------------------------------

    def _evaluate(self, work: _Working, quote: Quote, book: _Book, now: datetime, events: list[BrokerEvent]) -> None:
        """Fill, trigger or leave the order as this quote allows, appending what happened to ``events``."""
        order = work.order
        kind = order.order_type
        if kind is OrderType.STOP_LIMIT and not work.triggered:
            if order.stop_price is None or not quote.stop_touched(order.side, order.stop_price, on_last(work)):
                return
            work.triggered = True
            events.append(_event(EventKind.TRIGGERED, order, now))
        limit = order.limit_price
        if kind in _LIMIT_LIKE and limit is not None:
            if _marketable(order.side, limit, quote):
                self._fill(work, quote.price_to(order.side), book, now, events)
            return
        if kind in _STOP_LIKE and not (work.triggered or work.filled > 0):
            if not self._stop_hit(work, quote):
                return
            self._fill(work, self._slipped(work, quote), book, now, events)
            if work.filled == order.filled_quantity:  # triggered but no liquidity: remember it was hit
                work.triggered = True
                events.append(_event(EventKind.TRIGGERED, order, now))
            return
        self._fill(work, self._slipped(work, quote), book, now, events)

    def _stop_hit(self, work: _Working, quote: Quote) -> bool:
        """Whether a stop, take-profit or trailing stop is triggered by this quote."""
        order = work.order
        sell = order.side is Side.SELL
        if order.order_type is OrderType.STOP and order.stop_price is not None:
            return quote.stop_touched(order.side, order.stop_price, on_last(work))
        if order.order_type is OrderType.TAKE_PROFIT and order.take_profit_price is not None:
            return quote.bid >= order.take_profit_price if sell else quote.ask <= order.take_profit_price
        if order.order_type is OrderType.TRAILING_STOP and work.reference is not None:
            return quote.stop_touched(order.side, self._trail_stop(work), on_last(work))
        return False

    def _trail(self, work: _Working, quote: Quote, now: datetime, events: list[BrokerEvent]) -> None:
        """Move a trailing stop's reference with the market (never back); report each move."""
        if work.triggered or work.filled > 0:
            return
        side = work.order.side
        price = quote.trigger_price(side, on_last(work))
        ref = work.reference
        moved = price if ref is None else (max(ref, price) if side is Side.SELL else min(ref, price))
        if moved != ref:
            work.reference = moved
            events.append(_event(EventKind.TRAIL_MOVED, work.order, now, trail_reference=moved))

    def _trail_stop(self, work: _Working) -> Decimal:
        assert work.reference is not None
        return trail_stop(work.order, work.reference, work.instrument)

    # -- fills -------------------------------------------------------------------------------------

    def _fillable(self, work: _Working, quote: Quote, book: _Book) -> Decimal:
        """How much would fill right now: nothing unless marketable, else what liquidity allows."""
        order = work.order
        limit = order.limit_price
        if order.order_type is OrderType.LIMIT and limit is not None and not _marketable(order.side, limit, quote):
            return ZERO
        return self._size(work, book)

    def _size(self, work: _Working, book: _Book) -> Decimal:
        remaining = work.order.quantity - work.filled
        available = book.available(work.order.side)
        if available is None or available >= remaining:
            return remaining
        lot = work.instrument.lot_size
        return max(ZERO, (available // lot) * lot)

    def _fill(self, work: _Working, price: Decimal, book: _Book, now: datetime, events: list[BrokerEvent]) -> None:
        quantity = self._size(work, book)
        if quantity <= 0:
            return
        order = work.order
        book.take(order.side, quantity)
        work.filled += quantity
        fill = Fill(
            id=derived_id(order.id, str(work.filled)),
            order_id=order.id,
            account_id=order.account_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            time=now,
        )
        events.append(_event(EventKind.FILL, order, now, fill=fill))

    def _slipped(self, work: _Working, quote: Quote) -> Decimal:
        return self.market_price(work.order.account_id, work.order.side, quote, work.instrument)

    def market_price(self, account_id: str, side: Side, quote: Quote, instrument: Instrument) -> Decimal:
        """The market price worsened by slippage, rounded to tick against the trader: what a fill pays."""
        tick = instrument.tick_size
        bps = self.slippage_bps / BPS
        price = quote.price_to(side) * (ONE + bps if side is Side.BUY else ONE - bps)
        rounding = ROUND_CEILING if side is Side.BUY else ROUND_FLOOR
        ticks = (price / tick).to_integral_value(rounding=rounding)
        return max(tick, ticks * tick).quantize(tick)


def _marketable(side: Side, limit: Decimal, quote: Quote) -> bool:
    return quote.ask <= limit if side is Side.BUY else quote.bid >= limit


def on_last(work: _Working) -> bool:
    return work.instrument.triggers_on_last


def _event(kind: EventKind, order: Order, now: datetime, **fields: object) -> BrokerEvent:
    return BrokerEvent(kind=kind, order_id=order.id, time=now, **fields)
