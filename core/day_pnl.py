"""Today's P&L, by each instrument's trading day: equity now against equity when the instrument's day began.

A position adds the P&L it realised since its day began, plus its open P&L now, less the open P&L it had when
the day began (the position as the day found it, at the last price before the day began). Summed over the
positions that is equity now less equity at the start of the day, for stocks, crypto and futures alike, and
whatever traded during the day. Each instrument's day begins when its calendar says (core.sessions): UTC
midnight for crypto, the session open for US equities, the evening open for CME energy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from core.instruments import Instrument
from core.market import Quote, SessionClose
from core.portfolio import Position
from core.sessions import Sessions

ZERO = Decimal(0)


def start_price(start: datetime, quote: Quote | None, close: SessionClose | None) -> Decimal | None:
    """The last price before ``start``: the quote when nothing has come since (it is older than the day), else
    the price the day-order sweep recorded at the latest close before it; None when neither is known."""
    if quote is not None and quote.time < start:
        return quote.mark
    return close.price_before(start) if close is not None else None


def day_base(
    positions: Iterable[Position], instruments: Mapping[str, Instrument], sessions: Sessions, now: datetime,
    quotes: Mapping[str, Quote], closes: Mapping[str, SessionClose],
) -> Decimal:
    """Today's P&L less the positions' open P&L now: what they realised since their day began, less the open
    P&L they had when it began. A position with no price from before its day began is measured from entry."""
    total = ZERO
    starts: dict[str, datetime] = {}  # one calendar look-up per calendar
    for position in positions:
        instrument = instruments.get(position.symbol)
        if instrument is None:
            continue
        start = starts.get(instrument.calendar)
        if start is None:
            start = starts[instrument.calendar] = sessions.day_start(instrument, now)
        quantity, average, realised = position.at_day_start(start)
        total += realised
        if quantity:
            price = start_price(start, quotes.get(position.symbol), closes.get(position.symbol))
            if price is not None:
                total -= quantity * (price - average) * instrument.multiplier
    return total


def open_pnl(
    positions: Iterable[Position], instruments: Mapping[str, Instrument], marks: Mapping[str, Decimal]
) -> Decimal:
    """The positions' open P&L at ``marks`` (none for a position without one: it counts at its average price)."""
    held = (p for p in positions if p.quantity and p.symbol in marks)
    return sum((p.unrealised_pnl(marks[p.symbol], instruments[p.symbol]) for p in held), ZERO)
