"""The pre-trade risk gate: every order, whatever door it came in by, passes ``check_order`` first.

Every check runs and every failure is reported, so a trader sees all that is wrong at once. Checks are
plain functions over a ``RiskContext`` the caller assembles; pydantic objects are built once, at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property

from core.accounts import Account, AccountKind, TradingState
from core.buying_power import EQUITY_INITIAL_MARGIN as EQUITY_RATE
from core.buying_power import rate, requirement, working_requirement
from core.errors import RiskRejected
from core.instruments import AssetClass, Instrument
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from core.portfolio import Position
from core.promised import Promised, nothing_promised, promised_by_symbol
from core.risk_book import WorkingOrder
from core.sessions import MarketStatus

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")
RATE_WINDOW = timedelta(seconds=60)
_AT_ONCE = frozenset({TimeInForce.IOC, TimeInForce.FOK})
_ACTIVE = TradingState.ACTIVE

# (code, message, limit, value): cheap to build per check, turned into RiskReason once at the end.
_Found = tuple[str, str, str | None, str | None]


@dataclass(frozen=True)
class RiskContext:
    """Everything the gate needs, gathered by the caller; the gate itself does no I/O."""

    account: Account
    instrument: Instrument
    quote: Quote | None
    now: datetime
    positions: list[Position]
    instruments: Mapping[str, Instrument]
    quotes: Mapping[str, Quote]
    recent_orders: list[Order]
    # Today's P&L less the open P&L now, each instrument's day as its calendar has it (core.day_pnl.day_base):
    # the daily loss check adds the open P&L at the context's marks.
    day_base: Decimal
    # The platform's trading state (core.accounts.TradingState); the account's is on the account.
    platform_state: TradingState = TradingState.ACTIVE
    # The account's working orders, bracket exits included: what they promised is core.promised's account.
    working: Sequence[WorkingOrder] = ()
    # An admin closing an account's position: a halted account or platform does not stop an order that only reduces.
    liquidation: bool = False
    # The instrument's market at ``now`` (core.sessions); None leaves the session unchecked.
    market: MarketStatus | None = None
    # What an order at market would pay now on the order's side, the venue's slippage included (Broker.market_price).
    pays: Decimal | None = None

    @cached_property
    def valuation(self) -> AccountValue:
        """The account valued once per context; every order checked against it reuses it."""
        return value_account(self)

    @cached_property
    def fresh(self) -> Quote | None:
        """The order's quote if it is young enough for the account to trade on (see fresh_quote)."""
        max_age = timedelta(seconds=self.account.limits.quote_max_age_seconds)
        return self.quote if self.quote is not None and self.quote.is_fresh(self.now, max_age) else None

    @cached_property
    def recent(self) -> RecentOrders:
        """The recent orders indexed once per context, for the rate and duplicate checks."""
        return index_recent(self)


@dataclass(frozen=True, slots=True)
class RiskReason:
    code: str
    message: str
    limit: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "limit": self.limit, "value": self.value}


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The gate's verdict. A frozen dataclass rather than a pydantic model: every order builds one, from
    values the gate computed itself, so there is nothing to validate and the gate's hot path stays cheap."""

    approved: bool
    reasons: list[RiskReason]
    message: str
    checked_at: datetime

    def as_error(self) -> RiskRejected:
        return RiskRejected(self.message, reasons=[r.as_dict() for r in self.reasons])


def fresh_quote(ctx: RiskContext) -> Quote | None:
    """The order's quote if it is young enough for the account to trade on, else None: nothing fills or
    triggers against a stale quote."""
    return ctx.fresh


def check_order(request: OrderRequest, ctx: RiskContext) -> RiskDecision:
    """Run every pre-trade check on ``request`` and say whether it may go to the broker, and why not."""
    limits = ctx.account.limits
    symbol = request.symbol.upper()
    quote = ctx.quote
    fresh = fresh_quote(ctx) is not None
    value = ctx.valuation
    promise = value.promises.get(symbol) or nothing_promised(symbol)
    held = promise.held
    buys, sells = promise.buys, promise.sells
    # Reducing only with what is available: what working orders have not already promised (core.promised).
    _, opening = promise.split(request.side, request.size)
    reducing = opening == 0
    price = reference_price(request, quote, ctx.pays)
    notional = ctx.instrument.notional(request.size, price) if price is not None else None

    found: list[_Found] = []
    found += _trading_state(ctx, reducing)
    restricted = limits.restricted_symbols
    if restricted and not reducing and symbol in {s.strip().upper() for s in restricted}:
        found.append(("restricted_instrument", f"Trading {symbol} is restricted on your account.", None, symbol))
    if not reducing:  # a trader can always cut risk: the size caps apply to orders that add to it
        found += _order_size(request, ctx, notional)
    if fresh and quote is not None:
        found += _price_collar(request, quote, limits.price_collar_percent)
    if request.side is Side.SELL and opening:
        found += _short(request, symbol, ctx, promise)
    if not reducing:
        found += _working_orders(ctx)
        found += _position(request, symbol, held, buys, sells, limits.max_position_quantity)
        value = _value(ctx, request)
        found += _account_exposure(ctx, value, notional)
        found += _buying_power(request, ctx, value, price, opening)
    found += _recent_orders(request, symbol, ctx, reducing)
    found += _market_closed(request, symbol, ctx)
    found += _quote_needed(request, symbol, ctx, fresh)
    return _decide(found, ctx.now)


def reference_price(request: OrderRequest, quote: Quote | None, pays: Decimal | None = None) -> Decimal | None:
    """The price the order's notional is judged at; None when nothing prices it. An order at market is judged
    at what its fill will pay (``pays``, slippage included) when the caller knows it."""
    if request.limit_price is not None:
        return request.limit_price
    if request.stop_price is not None:
        return request.stop_price
    if request.order_type is OrderType.TAKE_PROFIT and request.take_profit_price is not None:
        return request.take_profit_price
    if pays is not None:
        return pays
    return quote.price_to(request.side) if quote is not None else None


def _trading_state(ctx: RiskContext, reducing: bool) -> list[_Found]:
    """Halted refuses everything but an admin's liquidation; reducing refuses what does not reduce a position."""
    platform, own = ctx.platform_state, ctx.account.trading_state
    if platform is _ACTIVE and own is _ACTIVE:  # the gate's hot path: nothing to judge
        return []
    found: list[_Found] = []
    for state, code, where in ((platform, "global", "platform-wide"), (own, "account", "on your account")):
        if state is TradingState.HALTED and not (reducing and ctx.liquidation):
            found.append((f"kill_switch_{code}", f"Trading is halted {where} by the kill switch.", None, state.value))
        elif state is TradingState.REDUCING and not reducing:
            message = f"Trading is reducing-only {where}: only orders that reduce a position are accepted."
            found.append((f"reducing_only_{code}", message, None, state.value))
    return found


def _order_size(request: OrderRequest, ctx: RiskContext, notional: Decimal | None) -> Iterator[_Found]:
    limits = ctx.account.limits
    cap = limits.max_order_quantity
    if cap is not None and request.size > cap:
        message = f"Order quantity {_qty(request.size)} exceeds your limit of {_qty(cap)}."
        yield ("max_order_quantity", message, _plain(cap), _plain(request.size))
    cap = limits.max_order_notional
    if cap is not None and notional is not None and notional > cap:
        ccy = ctx.instrument.currency
        message = f"Order notional {_money(notional, ccy)} exceeds your limit of {_money(cap, ccy)}."
        yield ("max_order_notional", message, _cents(cap), _cents(notional))


def _short(request: OrderRequest, symbol: str, ctx: RiskContext, promise: Promised) -> Iterator[_Found]:
    """A sell beyond what is available opens a short. Crypto is held in cash, an instrument its venue will not
    lend (Alpaca's ``shortable: false``) cannot be borrowed, a cash account cannot borrow at all: there it may
    sell only what is available. On a margin account the short is judged by the checks that follow."""
    instrument, cash_account = ctx.instrument, ctx.account.kind is AccountKind.CASH
    if instrument.asset_class is AssetClass.CRYPTO:
        code, why = "crypto_short", f"{symbol} cannot be sold short"
    elif not instrument.shortable:
        code, why = "not_shortable", f"{symbol} cannot be sold short at your venue"
    elif cash_account:
        code, why = "cash_account_short", "a cash account cannot sell short (short selling needs a margin account)"
    else:
        return
    available = promise.available if promise.held > 0 else ZERO
    if promise.held > 0:  # something is held, just not enough of it is free: say what holds it
        orders = f" ({', '.join(promise.holding)})" if promise.holding else ""
        message = (
            f"You can sell at most what is available: you hold {_qty(promise.held)} {symbol}, held for orders "
            f"{_qty(promise.held_for_orders)}{orders}, available {_qty(available)}; {why}."
        )
        yield ("insufficient_qty_available", message, _plain(available), _plain(request.size))
        return
    yield (code, f"{why[0].upper()}{why[1:]}: you can sell at most {_qty(available)}.", _plain(available),
           _plain(request.size))


def _buying_power(
    request: OrderRequest, ctx: RiskContext, value: _Valuation, price: Decimal | None, opening: Decimal
) -> Iterator[_Found]:
    """The funds the part of the order that opens ties up (its margin, or its full price in cash) against what
    the account has left: equity less what its positions and working orders already tie up. No check is
    skipped for want of a price: an opening order the gate cannot price is refused."""
    account = ctx.account
    if price is None and ctx.quote is not None:
        price = ctx.quote.mark
    if price is None:
        if not request.at_market:  # an order at market with no quote: the quote check says so
            message = f"There is no {request.symbol} price to judge this order by; it cannot be placed until there is."
            yield ("no_reference_price", message, None, None)
        return
    available = value.equity - value.committed
    need = requirement(account, ctx.instrument, opening, price)
    if need > available:
        ccy = account.currency
        how = f"{rate(account, ctx.instrument) * HUNDRED:.0f}% of its notional"
        if ctx.instrument.asset_class is AssetClass.FUTURE and ctx.instrument.initial_margin is not None:
            how = f"{_money(ctx.instrument.initial_margin, ccy)} initial margin a contract"
        message = (
            f"This order needs {_money(need, ccy)} ({how}) and your {account.kind.value} account has "
            f"{_money(max(available, ZERO), ccy)} available."
        )
        yield ("insufficient_buying_power", message, _cents(max(available, ZERO)), _cents(need))


def _price_collar(request: OrderRequest, quote: Quote, collar: Decimal | None) -> Iterator[_Found]:
    """Only a price that trades now is judged: a limit at or through the market. A resting limit or a
    protective stop away from the market is what the trader wants, not a fat finger."""
    price = request.limit_price
    if collar is None or price is None or not _marketable(request, price, quote):
        return
    mid = quote.mid
    away = abs(price - mid) / mid * HUNDRED
    if away > collar:
        message = (
            f"Limit price {price:,f} is {away:,.2f}% from the market mid {mid:,f}, "
            f"beyond your price collar of {collar:,.2f}%."
        )
        yield ("price_collar", message, _cents(collar), _cents(away))


def _marketable(request: OrderRequest, price: Decimal, quote: Quote) -> bool:
    """A limit (or a bracket's entry limit) at or through the market: it would trade now."""
    if request.order_type not in (OrderType.LIMIT, OrderType.BRACKET):
        return False
    return price >= quote.ask if request.side is Side.BUY else price <= quote.bid


def _position(
    request: OrderRequest, symbol: str, held: Decimal, buys: Decimal, sells: Decimal, cap: Decimal | None
) -> Iterator[_Found]:
    """The position should every working order on the order's side fill too (the worst case)."""
    if cap is None:
        return
    buying = request.side is Side.BUY
    resulting = abs(held + buys + request.size) if buying else abs(held - sells - request.size)
    if resulting > cap:
        message = (
            f"This order would take your {symbol} position to {_qty(resulting)}, beyond your limit of {_qty(cap)}."
        )
        yield ("max_position", message, _plain(cap), _plain(resulting))


@dataclass(slots=True)
class _Valuation:
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


def value_account(ctx: RiskContext) -> AccountValue:
    """Positions at their marks (at cost with none), working orders at their worst case. The arithmetic is
    inline rather than in helpers: this is the gate's hot path."""
    account, instruments = ctx.account, ctx.instruments
    margin_account = account.kind is AccountKind.MARGIN
    marks: dict[str, Decimal] = {}
    for name, quote in ctx.quotes.items():
        marks[name] = quote.last if quote.last is not None else (quote.bid + quote.ask) / 2
    own = ctx.instrument.symbol
    if own not in marks and ctx.quote is not None:
        marks[own] = ctx.quote.mark
    promises = promised_by_symbol({p.symbol: p.quantity for p in ctx.positions}, ctx.working)
    committed = working_requirement(account, promises.values(), instruments, marks)
    pending = {name: (p.buys, p.sells) for name, p in promises.items() if p.buys or p.sells}
    parts: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]] = {}
    gross = unrealised = holdings = ZERO
    cash = account.starting_cash
    future, equity_class = AssetClass.FUTURE, AssetClass.EQUITY
    for position in ctx.positions:
        cash += position.cash_flow
        quantity = position.quantity
        name = position.symbol
        worst = pending.get(name)
        if not quantity and worst is None:
            continue
        instrument = instruments.get(name)
        if instrument is None:
            continue
        multiplier, kind = instrument.multiplier, instrument.asset_class
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
            margin = instrument.initial_margin
            committed += abs(quantity) * margin if margin is not None else size
        else:
            holdings += value
            committed += size * EQUITY_RATE if margin_account and kind is equity_class else size
    for name, (buys, sells) in pending.items():  # working orders on symbols not held
        if name in parts:
            continue
        instrument = instruments.get(name)
        price = marks.get(name) or _order_price(ctx, name)
        if instrument is not None and price is not None:
            part = max(buys, sells) * price * instrument.multiplier
            gross += part
            parts[name] = (ZERO, price, instrument.multiplier, part)
    return AccountValue(gross=gross, unrealised=unrealised, equity=cash + holdings, committed=committed,
                        marks=marks, pending=pending, parts=parts, promises=promises)


def _value(ctx: RiskContext, request: OrderRequest) -> _Valuation:
    """The account's value with ``request`` added to its symbol's worst case (one symbol re-valued)."""
    base = ctx.valuation
    symbol = request.symbol.upper()
    buys, sells = base.pending.get(symbol, (ZERO, ZERO))
    if request.side is Side.BUY:
        buys += request.size
    else:
        sells += request.size
    quantity, price, multiplier, part = base.parts.get(symbol, (ZERO, None, ctx.instrument.multiplier, ZERO))
    price = price if price is not None else base.marks.get(symbol) or request.limit_price or request.stop_price
    gross = base.gross
    if price is not None:
        gross += max(abs(quantity + buys), abs(quantity - sells)) * price * multiplier - part
    return _Valuation(gross=gross, unrealised=base.unrealised, equity=base.equity, committed=base.committed)


def _account_exposure(ctx: RiskContext, value: _Valuation, notional: Decimal | None) -> Iterator[_Found]:
    """Gross exposure (should this order and every working order on the worse side of each position fill)
    and today's loss: equity now against equity when each instrument's trading day began."""
    limits = ctx.account.limits
    exposure_cap, loss_cap = limits.max_gross_exposure, limits.daily_loss_limit
    ccy = ctx.account.currency
    if exposure_cap is not None and notional is not None and value.gross > exposure_cap:
        message = (
            f"Gross exposure would reach {_money(value.gross, ccy)}, above your limit of "
            f"{_money(exposure_cap, ccy)}."
        )
        yield ("max_gross_exposure", message, _cents(exposure_cap), _cents(value.gross))
    if loss_cap is not None:
        pnl = ctx.day_base + value.unrealised
        if pnl < -loss_cap:
            message = f"Today's loss of {_money(-pnl, ccy)} is beyond your daily loss limit of {_money(loss_cap, ccy)}."
            yield ("daily_loss_limit", message, _cents(loss_cap), _cents(pnl))


def _order_price(ctx: RiskContext, symbol: str) -> Decimal | None:
    """A price for a symbol the account does not hold and has no quote for: its working orders' own."""
    prices = [w.price for w in ctx.working if w.symbol == symbol and w.price is not None]
    return max(prices) if prices else None


def _counts_as_twin(order: Order) -> bool:
    """A rejected order never traded, an unconfirmed ticket was not placed, and one cancelled or expired
    unfilled was withdrawn on purpose: sending it again is a new decision, not a double send."""
    if order.status in (OrderStatus.REJECTED, OrderStatus.PENDING_CONFIRMATION):
        return False  # never traded, or not placed yet: a chat ticket waits for its confirmation
    withdrawn = order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED)
    return not (withdrawn and order.filled_quantity == 0)


_TWIN_FIELDS = ("order_type", "limit_price", "stop_price", "trail_amount", "trail_percent", "take_profit_price",
                "stop_loss_price")


def _is_twin(order: Order, request: OrderRequest, symbol: str) -> bool:
    """The same instruction again: side, quantity, symbol, type and every price. A scale-in at another price
    is a new decision."""
    return (
        order.side is request.side
        and order.quantity == request.size
        and order.symbol.upper() == symbol
        and all(getattr(order, name) == getattr(request, name) for name in _TWIN_FIELDS)
    )


@dataclass(frozen=True, slots=True)
class RecentOrders:
    """The context's recent orders indexed once (cached on it like the valuation): how many fall in the rate
    window, and the possible twins inside the duplicate window by (side, quantity, symbol), newest first."""

    in_rate_window: int
    twins: dict[tuple[Side, Decimal, str], list[tuple[timedelta, Order]]]


def index_recent(ctx: RiskContext) -> RecentOrders:
    now = ctx.now
    window = timedelta(seconds=ctx.account.limits.duplicate_window_seconds)
    count = 0
    twins: dict[tuple[Side, Decimal, str], list[tuple[timedelta, Order]]] = {}
    for order in ctx.recent_orders:
        if order.parent_id is not None:
            continue  # a bracket's exits are the system's orders, not the trader's
        age = now - order.created_at
        if age <= RATE_WINDOW:
            count += 1
        if window and age <= window and _counts_as_twin(order):
            twins.setdefault((order.side, order.quantity, order.symbol.upper()), []).append((age, order))
    for found in twins.values():
        found.sort(key=lambda pair: pair[0])
    return RecentOrders(count, twins)


def _recent_orders(request: OrderRequest, symbol: str, ctx: RiskContext, reducing: bool) -> Iterator[_Found]:
    """The duplicate check guards against sending an order twice; an order that only reduces cannot overshoot
    (it is judged with the working orders on its side), so closing twice in a row in parts is allowed."""
    limits = ctx.account.limits
    recent = ctx.recent
    count = recent.in_rate_window
    newest_twin: timedelta | None = None
    if not reducing and recent.twins:
        for age, order in recent.twins.get((request.side, request.size, symbol), ()):
            if _is_twin(order, request, symbol):
                newest_twin = age
                break
    if newest_twin is not None:
        what = f"{request.side.value} {_qty(request.size)} {symbol}"
        message = (
            f"The same order ({what}) was placed {_seconds(newest_twin)} s ago, "
            f"and repeats within {limits.duplicate_window_seconds} s are blocked as duplicates."
        )
        yield ("duplicate_order", message, str(limits.duplicate_window_seconds), _seconds(newest_twin))
    cap = limits.max_orders_per_minute
    if cap is not None and count >= cap:
        message = f"You have reached your limit of {cap} orders a minute ({count} in the last minute)."
        yield ("order_rate", message, str(cap), str(count))


def _working_orders(ctx: RiskContext) -> Iterator[_Found]:
    """An order that adds to risk waits for room when the account already has its most working orders."""
    cap = ctx.account.limits.max_working_orders
    if cap is not None and len(ctx.working) >= cap:
        message = f"You have {len(ctx.working)} working orders, the most your account allows ({cap})."
        yield ("max_working_orders", message, str(cap), str(len(ctx.working)))


def _market_closed(request: OrderRequest, symbol: str, ctx: RiskContext) -> Iterator[_Found]:
    """An order that must trade at once (at market, or ioc/fok) needs its market open. Alpaca and IB queue a
    market order for the open; Parley refuses it and says when the market opens. A limit or a stop rests."""
    market = ctx.market
    if market is None or market.open or not (request.at_market or request.time_in_force in _AT_ONCE):
        return
    message = f"{symbol} trades {market.calendar.hours}; the market opens {market.opens}."
    yield ("market_closed", message, None, market.next_open.isoformat())


def _quote_needed(request: OrderRequest, symbol: str, ctx: RiskContext, fresh: bool) -> Iterator[_Found]:
    """Orders that trade at market need a price to trade at."""
    if not request.at_market or fresh:
        return
    max_age = ctx.account.limits.quote_max_age_seconds
    if ctx.quote is None:
        message = f"There is no quote for {symbol}, and an order at market needs one no older than {max_age} s."
        yield ("no_fresh_quote", message, str(max_age), None)
    else:
        age = _seconds(ctx.now - ctx.quote.time)
        message = (
            f"The latest {symbol} quote is {age} s old, and an order at market needs one no older than {max_age} s."
        )
        yield ("no_fresh_quote", message, str(max_age), age)


def _decide(found: list[_Found], now: datetime) -> RiskDecision:
    if not found:
        return RiskDecision(approved=True, reasons=[], message="Risk OK.", checked_at=now)
    reasons = [RiskReason(code=c, message=m, limit=lim, value=v) for c, m, lim, v in found]
    message = "Rejected: " + "; ".join(_lower_first(r.message.rstrip(".")) for r in reasons) + "."
    return RiskDecision(approved=False, reasons=reasons, message=message, checked_at=now)


def _lower_first(text: str) -> str:
    """Lower-case the opening word unless it is a symbol or acronym (AAPL stays AAPL)."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _qty(quantity: Decimal) -> str:
    return f"{quantity.normalize():,f}"


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _cents(value: Decimal) -> str:
    return f"{value.quantize(CENTS):f}"


def _seconds(age: timedelta) -> str:
    return _plain(Decimal(age // timedelta(milliseconds=1)) / 1000)
