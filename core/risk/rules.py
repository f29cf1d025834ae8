"""The gate's checks, one function per rule: each reads the ``RiskContext`` and yields what it finds wrong
as ``Found`` (code, message, limit, value), turned into reasons once by core/risk/gate.py. A new rule is a
function here with its code in the README's list ("The risk gate"). A rule that needs only the order and the context
goes in ``REQUEST_RULES`` (the gate runs each, after the built-in checks); one that needs what the gate works out
first (reducing, the notional, the account valued with the order) is called from ``check_order`` by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from decimal import Decimal

from core.accounts import AccountKind, TradingState
from core.buying_power import rate, requirement
from core.instruments import AssetClass
from core.market import Quote
from core.orders import OrderRequest, OrderType, Side, TimeInForce
from core.promised import Promised
from core.risk.context import RiskContext
from core.risk.messages import cents, money, plain, qty, seconds
from core.risk.recent import is_twin
from core.risk.valuation import Valuation

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_AT_ONCE = frozenset({TimeInForce.IOC, TimeInForce.FOK})
_ACTIVE = TradingState.ACTIVE

# (code, message, limit, value): cheap to build per check, turned into RiskReason once at the end.
Found = tuple[str, str, str | None, str | None]
# A rule over the order and the context alone: what it finds wrong, nothing if all is well.
RequestRule = Callable[[OrderRequest, RiskContext], Iterable[Found]]


def trading_state(ctx: RiskContext, reducing: bool) -> list[Found]:
    """Halted refuses everything but an admin's liquidation; reducing refuses what does not reduce a position."""
    platform, own = ctx.platform_state, ctx.account.trading_state
    if platform is _ACTIVE and own is _ACTIVE:  # the gate's hot path: nothing to judge
        return []
    found: list[Found] = []
    for state, code, where in ((platform, "global", "platform-wide"), (own, "account", "on your account")):
        if state is TradingState.HALTED and not (reducing and ctx.liquidation):
            found.append((f"kill_switch_{code}", f"Trading is halted {where} by the kill switch.", None, state.value))
        elif state is TradingState.REDUCING and not reducing:
            message = f"Trading is reducing-only {where}: only orders that reduce a position are accepted."
            found.append((f"reducing_only_{code}", message, None, state.value))
    return found


def order_size(request: OrderRequest, ctx: RiskContext, notional: Decimal | None) -> Iterator[Found]:
    limits = ctx.account.limits
    cap = limits.max_order_quantity
    if cap is not None and request.size > cap:
        message = f"Order quantity {qty(request.size)} exceeds your limit of {qty(cap)}."
        yield ("max_order_quantity", message, plain(cap), plain(request.size))
    cap = limits.max_order_notional
    if cap is not None and notional is not None and notional > cap:
        ccy = ctx.instrument.currency
        message = f"Order notional {money(notional, ccy)} exceeds your limit of {money(cap, ccy)}."
        yield ("max_order_notional", message, cents(cap), cents(notional))


def short(request: OrderRequest, symbol: str, ctx: RiskContext, promise: Promised) -> Iterator[Found]:
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
            f"You can sell at most what is available: you hold {qty(promise.held)} {symbol}, held for orders "
            f"{qty(promise.held_for_orders)}{orders}, available {qty(available)}; {why}."
        )
        yield ("insufficient_qty_available", message, plain(available), plain(request.size))
        return
    yield (code, f"{why[0].upper()}{why[1:]}: you can sell at most {qty(available)}.", plain(available),
           plain(request.size))


def buying_power(
    request: OrderRequest, ctx: RiskContext, value: Valuation, price: Decimal | None, opening: Decimal
) -> Iterator[Found]:
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
            how = f"{money(ctx.instrument.initial_margin, ccy)} initial margin a contract"
        message = (
            f"This order needs {money(need, ccy)} ({how}) and your {account.kind.value} account has "
            f"{money(max(available, ZERO), ccy)} available."
        )
        yield ("insufficient_buying_power", message, cents(max(available, ZERO)), cents(need))


def price_collar(request: OrderRequest, quote: Quote, collar: Decimal | None) -> Iterator[Found]:
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
        yield ("price_collar", message, cents(collar), cents(away))


def _marketable(request: OrderRequest, price: Decimal, quote: Quote) -> bool:
    """A limit (or a bracket's entry limit) at or through the market: it would trade now."""
    if request.order_type not in (OrderType.LIMIT, OrderType.BRACKET):
        return False
    return price >= quote.ask if request.side is Side.BUY else price <= quote.bid


def position(
    request: OrderRequest, symbol: str, held: Decimal, buys: Decimal, sells: Decimal, cap: Decimal | None
) -> Iterator[Found]:
    """The position should every working order on the order's side fill too (the worst case)."""
    if cap is None:
        return
    buying = request.side is Side.BUY
    resulting = abs(held + buys + request.size) if buying else abs(held - sells - request.size)
    if resulting > cap:
        message = (
            f"This order would take your {symbol} position to {qty(resulting)}, beyond your limit of {qty(cap)}."
        )
        yield ("max_position", message, plain(cap), plain(resulting))


def account_exposure(ctx: RiskContext, value: Valuation, notional: Decimal | None) -> Iterator[Found]:
    """Gross exposure (should this order and every working order on the worse side of each position fill)
    and today's loss: equity now against equity when each instrument's trading day began."""
    limits = ctx.account.limits
    exposure_cap, loss_cap = limits.max_gross_exposure, limits.daily_loss_limit
    ccy = ctx.account.currency
    if exposure_cap is not None and notional is not None and value.gross > exposure_cap:
        message = (
            f"Gross exposure would reach {money(value.gross, ccy)}, above your limit of "
            f"{money(exposure_cap, ccy)}."
        )
        yield ("max_gross_exposure", message, cents(exposure_cap), cents(value.gross))
    if loss_cap is not None:
        pnl = ctx.day_base + value.unrealised
        if pnl < -loss_cap:
            message = f"Today's loss of {money(-pnl, ccy)} is beyond your daily loss limit of {money(loss_cap, ccy)}."
            yield ("daily_loss_limit", message, cents(loss_cap), cents(pnl))


def recent_orders(request: OrderRequest, symbol: str, ctx: RiskContext, reducing: bool) -> Iterator[Found]:
    """The duplicate check guards against sending an order twice; an order that only reduces cannot overshoot
    (it is judged with the working orders on its side), so closing twice in a row in parts is allowed."""
    limits = ctx.account.limits
    recent = ctx.recent
    count = recent.in_rate_window
    newest_twin: timedelta | None = None
    if not reducing and recent.twins:
        for age, order in recent.twins.get((request.side, request.size, symbol), ()):
            if is_twin(order, request, symbol):
                newest_twin = age
                break
    if newest_twin is not None:
        what = f"{request.side.value} {qty(request.size)} {symbol}"
        message = (
            f"The same order ({what}) was placed {seconds(newest_twin)} s ago, "
            f"and repeats within {limits.duplicate_window_seconds} s are blocked as duplicates."
        )
        yield ("duplicate_order", message, str(limits.duplicate_window_seconds), seconds(newest_twin))
    cap = limits.max_orders_per_minute
    if cap is not None and count >= cap:
        message = f"You have reached your limit of {cap} orders a minute ({count} in the last minute)."
        yield ("order_rate", message, str(cap), str(count))


def working_orders(ctx: RiskContext) -> Iterator[Found]:
    """An order that adds to risk waits for room when the account already has its most working orders."""
    cap = ctx.account.limits.max_working_orders
    if cap is not None and len(ctx.working) >= cap:
        message = f"You have {len(ctx.working)} working orders, the most your account allows ({cap})."
        yield ("max_working_orders", message, str(cap), str(len(ctx.working)))


def market_closed(request: OrderRequest, symbol: str, ctx: RiskContext) -> Iterator[Found]:
    """An order that must trade at once (at market, or ioc/fok) needs its market open. Alpaca and IB queue a
    market order for the open; Parley refuses it and says when the market opens. A limit or a stop rests."""
    market = ctx.market
    if market is None or market.open or not (request.at_market or request.time_in_force in _AT_ONCE):
        return
    message = f"{symbol} trades {market.calendar.hours}; the market opens {market.opens}."
    yield ("market_closed", message, None, market.next_open.isoformat())


def quote_needed(request: OrderRequest, symbol: str, ctx: RiskContext, fresh: bool) -> Iterator[Found]:
    """Orders that trade at market need a price to trade at."""
    if not request.at_market or fresh:
        return
    max_age = ctx.account.limits.quote_max_age_seconds
    if ctx.quote is None:
        message = f"There is no quote for {symbol}, and an order at market needs one no older than {max_age} s."
        yield ("no_fresh_quote", message, str(max_age), None)
    else:
        age = seconds(ctx.now - ctx.quote.time)
        message = (
            f"The latest {symbol} quote is {age} s old, and an order at market needs one no older than {max_age} s."
        )
        yield ("no_fresh_quote", message, str(max_age), age)


# The rules of the RequestRule shape, run in this order after the built-in checks (docs/extending.md, "A risk rule").
REQUEST_RULES: tuple[RequestRule, ...] = ()
