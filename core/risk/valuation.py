"""The account as the gate values it: positions at their marks (at cost with none), working orders at their
worst case. Valued once per context (``AccountValue``), then re-valued for one order's symbol only
(``with_order``), so checking an order costs the same for five positions as for five hundred."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.accounts import Account, AccountKind
from core.buying_power import EQUITY_INITIAL_MARGIN as EQUITY_RATE
from core.buying_power import working_requirement
from core.instruments import AssetClass, Instrument
from core.market import Quote
from core.orders import OrderRequest, Side
from core.portfolio import Position
from core.promised import Promised, promised_by_symbol
from core.risk_book import WorkingOrder

ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(slots=True)
class Valuation:
    """The figures the exposure, loss and buying-power checks need, for one order."""

    gross: Decimal  # absolute market value, each symbol at its worst case (all buys or all sells filling)
    unrealised: Decimal
    equity: Decimal
    committed: Decimal  # funds tied up by positions and working orders


@dataclass(slots=True)
class AccountValue:
    """The account valued once for a context, whatever order is checked against it: one pass over the
    positions and one over the working orders. A check then adjusts one symbol, so checking an order costs
    the same for an account of five positions as for one of five hundred."""

    gross: Decimal
    unrealised: Decimal
    equity: Decimal
    committed: Decimal
    marks: dict[str, Decimal]
    pending: dict[str, tuple[Decimal, Decimal]]  # symbol -> what working orders may still buy, sell
    # symbol -> (quantity held, price it is valued at, multiplier, its part of ``gross``)
    parts: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]
    promises: dict[str, Promised]  # what the working orders promised, per symbol held or worked (core.promised)


def value_account(
    account: Account,
    instrument: Instrument,
    quote: Quote | None,
    positions: Sequence[Position],
    instruments: Mapping[str, Instrument],
    quotes: Mapping[str, Quote],
    working: Sequence[WorkingOrder],
) -> AccountValue:
    """Positions at their marks (at cost with none), working orders at their worst case; ``instrument`` and
    ``quote`` are the order's, its quote marking its symbol when ``quotes`` has none. The arithmetic is
    inline rather than in helpers: this is the gate's hot path."""
    margin_account = account.kind is AccountKind.MARGIN
    marks: dict[str, Decimal] = {}
    for name, each in quotes.items():
        marks[name] = each.last if each.last is not None else (each.bid + each.ask) / 2
    own = instrument.symbol
    if own not in marks and quote is not None:
        marks[own] = quote.mark
    promises = promised_by_symbol({p.symbol: p.quantity for p in positions}, working)
    committed = working_requirement(account, promises.values(), instruments, marks)
    pending = {name: (p.buys, p.sells) for name, p in promises.items() if p.buys or p.sells}
    parts: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]] = {}
    gross = unrealised = holdings = ZERO
    cash = account.starting_cash
    future, equity_class = AssetClass.FUTURE, AssetClass.EQUITY
    for position in positions:
        cash += position.cash_flow
        quantity = position.quantity
        name = position.symbol
        worst = pending.get(name)
        if not quantity and worst is None:
            continue
        held = instruments.get(name)
        if held is None:
            continue
        multiplier, kind = held.multiplier, held.asset_class
        mark = marks.get(name)
        price = position.average_price if mark is None else mark
        value = quantity * price if multiplier == ONE else quantity * price * multiplier
        size = abs(value)
        part = size if worst is None else max(abs(quantity + worst[0]), abs(quantity - worst[1])) * price * multiplier
        gross += part
        parts[name] = (quantity, price, multiplier, part)
        pnl = ZERO if mark is None else value - quantity * position.average_price * multiplier
        unrealised += pnl
        if kind is future:
            holdings += pnl
            margin = held.initial_margin
            committed += abs(quantity) * margin if margin is not None else size
        else:
            holdings += value
            committed += size * EQUITY_RATE if margin_account and kind is equity_class else size
    for name, (buys, sells) in pending.items():  # working orders on symbols not held
        if name in parts:
            continue
        worked = instruments.get(name)
        priced = marks.get(name) or _order_price(working, name)
        if worked is not None and priced is not None:
            part = max(buys, sells) * priced * worked.multiplier
            gross += part
            parts[name] = (ZERO, priced, worked.multiplier, part)
    return AccountValue(gross=gross, unrealised=unrealised, equity=cash + holdings, committed=committed,
                        marks=marks, pending=pending, parts=parts, promises=promises)


def with_order(base: AccountValue, request: OrderRequest, multiplier: Decimal) -> Valuation:
    """The account's value with ``request`` added to its symbol's worst case (one symbol re-valued);
    ``multiplier`` is the order's instrument's, for a symbol the account neither holds nor works."""
    symbol = request.symbol.upper()
    buys, sells = base.pending.get(symbol, (ZERO, ZERO))
    if request.side is Side.BUY:
        buys += request.size
    else:
        sells += request.size
    quantity, price, multiplier, part = base.parts.get(symbol, (ZERO, None, multiplier, ZERO))
    price = price if price is not None else base.marks.get(symbol) or request.limit_price or request.stop_price
    gross = base.gross
    if price is not None:
        gross += max(abs(quantity + buys), abs(quantity - sells)) * price * multiplier - part
    return Valuation(gross=gross, unrealised=base.unrealised, equity=base.equity, committed=base.committed)


def _order_price(working: Iterable[WorkingOrder], symbol: str) -> Decimal | None:
    """A price for a symbol the account does not hold and has no quote for: its working orders' own."""
    prices = [w.price for w in working if w.symbol == symbol and w.price is not None]
    return max(prices) if prices else None
