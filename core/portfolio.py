"""Positions from fills (average price, realised P&L, multiplier-aware) and the portfolio built on them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.instruments import Instrument
from core.market import Quote
from core.orders import Fill
from core.promised import Promised, nothing_promised

ZERO = Decimal(0)


class Position(BaseModel):
    """A signed net position. ``cash_flow`` is the cash this symbol has moved in or out of the account."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    account_id: str
    symbol: str
    quantity: Decimal = ZERO
    average_price: Decimal = ZERO
    realised_pnl: Decimal = ZERO
    cash_flow: Decimal = ZERO
    updated_at: AwareDatetime
    version: int = 0
    # P&L realised on ``day`` (UTC), kept on the position so the risk gate reads it with the positions
    # instead of summing the day's fills.
    day: date | None = None
    realised_today: Decimal = ZERO
    # The position when its instrument's trading day began at ``day_start`` (core.sessions), and the P&L
    # realised since: today's P&L is measured from them (core.day_pnl). Set by the day's first fill.
    day_start: AwareDatetime | None = None
    start_quantity: Decimal = ZERO
    start_average: Decimal = ZERO
    realised_since_start: Decimal = ZERO

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0

    def realised_on(self, day: date) -> Decimal:
        return self.realised_today if self.day == day else ZERO

    def at_day_start(self, start: datetime) -> tuple[Decimal, Decimal, Decimal]:
        """(quantity, average price, P&L realised since) for the trading day that began at ``start``."""
        if self.day_start == start:
            return self.start_quantity, self.start_average, self.realised_since_start
        return self.quantity, self.average_price, ZERO  # no fill since the day began

    def unrealised_pnl(self, mark: Decimal, instrument: Instrument) -> Decimal:
        return (mark - self.average_price) * self.quantity * instrument.multiplier


def apply_fill(position: Position, fill: Fill, instrument: Instrument, day_start: datetime | None = None) -> Decimal:
    """Book ``fill`` into ``position`` in place and return the P&L it realised. ``day_start`` is when the
    fill's trading day began (core.sessions): the day's first fill keeps the position as the day found it."""
    if day_start is not None and (position.day_start is None or day_start > position.day_start):
        position.day_start = day_start
        position.start_quantity, position.start_average = position.quantity, position.average_price
        position.realised_since_start = ZERO
    signed = fill.quantity * fill.side.sign
    held = position.quantity
    realised = ZERO
    if held == 0 or (held > 0) == (signed > 0):
        total = abs(held) + abs(signed)
        position.average_price = (position.average_price * abs(held) + fill.price * abs(signed)) / total
    else:
        closing = min(abs(signed), abs(held))
        direction = 1 if held > 0 else -1
        realised = (fill.price - position.average_price) * closing * direction * instrument.multiplier
        if abs(signed) > abs(held):
            position.average_price = fill.price
        elif abs(signed) == abs(held):
            position.average_price = ZERO
    position.quantity = held + signed
    position.realised_pnl += realised
    if instrument.cash_settled_notional:
        position.cash_flow -= signed * fill.price * instrument.multiplier
    else:
        position.cash_flow += realised
    position.updated_at = fill.time
    day = fill.time.date()
    position.realised_today = position.realised_on(day) + realised
    position.day = day
    if day_start is not None:  # a late fill of an earlier day counts in the current one
        position.realised_since_start += realised
    return realised


class PositionView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    symbol: str
    quantity: Decimal
    average_price: Decimal
    mark_price: Decimal | None
    market_value: Decimal | None
    unrealised_pnl: Decimal | None
    realised_pnl: Decimal
    multiplier: Decimal
    currency: str
    held: Decimal = Field(default=ZERO, description="The position (signed), as quantity")
    held_for_orders: Decimal = Field(
        default=ZERO, description="What working orders that reduce the position (exits, stops, limits, a close in "
        "flight) would take out of it; an OCO group once, at its largest leg")
    available: Decimal = Field(default=ZERO, description="What a new reducing order may use: |held| - held_for_orders")


class PortfolioView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    account_id: str
    currency: str
    cash: Decimal
    equity: Decimal
    buying_power: Decimal = Field(description="What the available funds buy in equities (x2 on margin)")
    margin_used: Decimal = Field(description="Margin tied up by futures, and by equities on a margin account")
    day_pnl: Decimal = Field(description="Equity now against equity at the start of the day")
    gross_exposure: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    positions: list[PositionView]


def value_position(
    position: Position, instrument: Instrument, quote: Quote | None, promise: Promised | None = None
) -> PositionView:
    mark = quote.mark if quote else None
    promise = promise or nothing_promised(position.symbol, position.quantity)
    unrealised = position.unrealised_pnl(mark, instrument) if mark is not None else None
    market_value = position.quantity * mark * instrument.multiplier if mark is not None else None
    return PositionView(
        symbol=position.symbol,
        quantity=position.quantity,
        average_price=position.average_price,
        mark_price=mark,
        market_value=market_value,
        unrealised_pnl=unrealised,
        realised_pnl=position.realised_pnl,
        multiplier=instrument.multiplier,
        currency=instrument.currency,
        held=position.quantity,
        held_for_orders=promise.held_for_orders,
        available=promise.available,
    )


def exposure(quantity: Decimal, average_price: Decimal, mark: Decimal | None, multiplier: Decimal) -> Decimal:
    """A position's absolute market value; with no mark it counts at its average price."""
    return abs(quantity) * (mark if mark is not None else average_price) * multiplier


def gross_exposure(positions: list[PositionView]) -> Decimal:
    """Sum of the positions' absolute market values (the one definition the risk gate uses too)."""
    return sum((exposure(p.quantity, p.average_price, p.mark_price, p.multiplier) for p in positions), ZERO)


def cash(starting_cash: Decimal, positions: Iterable[Position]) -> Decimal:
    """The account's cash: what it started with and what its positions moved in or out."""
    return starting_cash + sum((p.cash_flow for p in positions), ZERO)


def holding_value(position: Position, instrument: Instrument, mark: Decimal | None) -> Decimal:
    """What a position adds to equity: the market value of what cash bought (equities, crypto; at the average
    price with no mark), or the open P&L of a future (nothing with no mark)."""
    if instrument.cash_settled_notional:
        return position.quantity * (mark if mark is not None else position.average_price) * instrument.multiplier
    return position.unrealised_pnl(mark, instrument) if mark is not None else ZERO


def equity(
    starting_cash: Decimal, positions: Iterable[Position], instruments: Mapping[str, Instrument],
    marks: Mapping[str, Decimal],
) -> Decimal:
    held = list(positions)
    return cash(starting_cash, held) + sum(
        (holding_value(p, instruments[p.symbol], marks.get(p.symbol)) for p in held), ZERO
    )


def build_portfolio(
    account_id: str,
    currency: str,
    starting_cash: Decimal,
    positions: list[Position],
    instruments: dict[str, Instrument],
    quotes: dict[str, Quote],
    *,
    buying_power: Decimal,
    margin_used: Decimal,
    day_pnl: Decimal,
    promises: Mapping[str, Promised] | None = None,
) -> PortfolioView:
    promises = promises or {}
    views = [
        value_position(p, instruments[p.symbol], quotes.get(p.symbol), promises.get(p.symbol)) for p in positions
    ]
    unrealised = sum((v.unrealised_pnl or ZERO for v in views), ZERO)
    marks = {symbol: quote.mark for symbol, quote in quotes.items()}
    return PortfolioView(
        account_id=account_id,
        currency=currency,
        cash=cash(starting_cash, positions),
        equity=equity(starting_cash, positions, instruments, marks),
        buying_power=buying_power,
        margin_used=margin_used,
        day_pnl=day_pnl,
        gross_exposure=gross_exposure(views),
        realised_pnl=sum((p.realised_pnl for p in positions), ZERO),
        unrealised_pnl=unrealised,
        positions=[v for v in views if v.quantity != 0 or v.realised_pnl != 0],
    )
