"""Positions, the portfolio, quotes, and the orders that close a position."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from pydantic import ValidationError

from core.accounts import AccountKind
from core.buying_power import EQUITY_INITIAL_MARGIN, buying_power, committed, requirement, working_requirement
from core.day_pnl import day_base, open_pnl
from core.errors import InvalidRequest, NotFound, QuoteUnavailable
from core.market import Quote
from core.orders import Fill, OrderRequest, OrderType, Side, TimeInForce
from core.portfolio import PortfolioView, Position, PositionView, build_portfolio, equity, value_position
from core.promised import Promised, nothing_promised, promised_by_symbol
from core.risk import RiskDecision, reference_price
from core.risk_book import RiskBook
from core.usecases.admin.accounts import AccountRef, get_account
from core.usecases.common.deps import Deps, catalog_for
from core.usecases.trading import orders
from core.usecases.trading.sizing import sized

FRACTION_PLACES = Decimal("0.000001")


def positions(deps: Deps, account: AccountRef) -> list[PositionView]:
    """The open positions, each with what working orders hold of it and what is available (core.promised)."""
    account_id = get_account(deps, account).id
    held = [p for p in deps.store.positions.list_for_account(account_id) if not p.is_flat]
    quotes = deps.store.quotes.get_many([p.symbol for p in held])
    catalog = catalog_for(deps, account_id)
    promises = promises_of(held, deps.store.books.get(account_id))
    return [value_position(p, catalog.get(p.symbol), quotes.get(p.symbol), promises.get(p.symbol)) for p in held]


def promises_of(held: list[Position], book: RiskBook) -> dict[str, Promised]:
    """What the book's working orders promised, per symbol held or worked."""
    return promised_by_symbol({p.symbol: p.quantity for p in held}, book.orders())


def portfolio(deps: Deps, account: AccountRef) -> PortfolioView:
    """Cash, equity, buying power, margin used, today's P&L (equity against equity when each instrument's
    trading day began, core.day_pnl), exposure and positions."""
    account = get_account(deps, account)
    held = deps.store.positions.list_for_account(account.id)
    promises = promises_of(held, deps.store.books.get(account.id))
    symbols = sorted({p.symbol for p in held} | set(promises))
    catalog = catalog_for(deps, account.id)
    instruments = {s: catalog.get(s) for s in symbols}
    quotes, closes, _ = deps.store.prices_and_settings(symbols)
    marks = {s: q.mark for s, q in quotes.items()}
    now_equity = equity(account.starting_cash, held, instruments, marks)
    tied, margined = committed(account, held, instruments, marks)
    tied += working_requirement(account, promises.values(), instruments, marks)
    base = day_base(held, instruments, deps.sessions, deps.now(), quotes, closes)
    day_pnl = base + open_pnl(held, instruments, marks)
    return build_portfolio(
        account.id, account.currency, account.starting_cash, held, instruments, quotes,
        buying_power=buying_power(account, now_equity - tied), margin_used=margined, day_pnl=day_pnl,
        promises=promises,
    )


def quote(deps: Deps, symbol: str, account: AccountRef | None = None) -> Quote:
    """The latest quote of ``symbol``, as the streams stored it. For ``account`` on a real venue, the symbol is one
    its venue lists, and when the streams have none fresh (the account's quote age limit) the venue is asked (its
    adapter keeps the answer a few seconds); a stale stored quote is still better than none."""
    served = get_account(deps, account) if account is not None else None
    catalog = catalog_for(deps, served.id) if served is not None else deps.catalog
    instrument = catalog.get(symbol)
    found = deps.store.quotes.get(instrument.symbol)
    if served is not None:
        fresh_for = timedelta(seconds=served.limits.quote_max_age_seconds)
        if found is None or not found.is_fresh(deps.now(), fresh_for):
            found = deps.broker.fresh_quote(served.id, instrument.symbol) or found
    if found is None:
        raise QuoteUnavailable(f"No quote for {instrument.symbol} yet.", symbol=instrument.symbol)
    return found


def closing_order(
    deps: Deps, account: AccountRef, symbol: str, *, quantity: Decimal | None = None, fraction: Decimal | None = None,
    order_type: OrderType = OrderType.MARKET, limit_price: Decimal | None = None, stop_price: Decimal | None = None,
    trail_amount: Decimal | None = None, trail_percent: Decimal | None = None,
) -> OrderRequest:
    """The order that closes all of a position, ``quantity`` of it, or ``fraction`` of it (rounded down to
    the lot size): at market, or as a limit (take profit), stop (stop loss) or trailing stop, which rest
    good till cancelled like the protective orders they are."""
    account_id = get_account(deps, account).id
    instrument = catalog_for(deps, account_id).get(symbol)
    symbol = instrument.symbol
    held = deps.store.positions.get(account_id, symbol)
    if held is None or held.is_flat:
        raise NotFound(f"You have no {symbol} position to close.", code="no_position")
    size = abs(held.quantity)
    if quantity is not None:
        if quantity > size:
            raise InvalidRequest(f"You hold {size} {symbol}; you cannot close {quantity}.")
        size = quantity
    elif fraction is not None:
        lot = instrument.lot(fractional=order_type is OrderType.MARKET)  # a market close is a day order
        # a third of three lots is one lot: round the product first, so 3 x 0.333... is not 0.999...
        part = (size * fraction).quantize(FRACTION_PLACES, rounding=ROUND_HALF_EVEN)
        size = (part / lot).to_integral_value(rounding=ROUND_DOWN) * lot
        size = size.quantize(Decimal(1)) if size == size.to_integral_value() else size.normalize()  # 5, not 5.0000
        if size == 0:
            raise InvalidRequest(f"That fraction of your {symbol} position is less than one lot.")
    side = Side.SELL if held.quantity > 0 else Side.BUY
    resting = order_type is not OrderType.MARKET
    try:
        return OrderRequest(
            symbol=symbol, side=side, quantity=size, order_type=order_type, limit_price=limit_price,
            stop_price=stop_price, trail_amount=trail_amount, trail_percent=trail_percent,
            time_in_force=TimeInForce.GTC if resting else TimeInForce.DAY,
        )
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise InvalidRequest(f"That close does not fit: {reasons}.") from None


def closing_orders(deps: Deps, account: AccountRef) -> list[OrderRequest]:
    """The market orders that flatten every open position of the account."""
    account_id = get_account(deps, account).id
    held = [p for p in deps.store.positions.list_for_account(account_id) if not p.is_flat]
    return [closing_order(deps, account_id, p.symbol) for p in held]


def list_fills(deps: Deps, account: AccountRef, *, limit: int = 20) -> list[Fill]:
    """The account's executions, newest first."""
    fills = deps.store.fills.list_for_account(get_account(deps, account).id)
    return fills[::-1][:limit]


@dataclass(frozen=True)
class WhatIf:
    """What an order would meet now, with nothing stored: the gate's decision and the buying power before
    and after the funds it would tie up."""

    decision: RiskDecision
    buying_power: Decimal
    buying_power_after: Decimal
    requirement: Decimal | None


def what_if(deps: Deps, account: AccountRef, request: OrderRequest) -> WhatIf:
    """The gate's decision now and buying power before and after: the part of the order that opens ties up
    funds, the part that closes (at most what is available, core.promised) frees them."""
    account = get_account(deps, account)
    decision = orders.check_risk(deps, account, request)
    book = portfolio(deps, account)
    instrument = catalog_for(deps, account.id).get(request.symbol)
    quote = deps.store.quotes.get(instrument.symbol)
    pays = deps.broker.market_price(account.id, request.side, quote, instrument) if quote is not None else None
    price = reference_price(request, quote, pays)
    size = request.quantity
    if size is None and request.notional is not None and price is not None:
        size = sized(request, instrument, quote, deps.now(), account, pays).quantity
    if size is None or price is None:
        return WhatIf(decision=decision, buying_power=book.buying_power, buying_power_after=book.buying_power,
                      requirement=None)
    held = deps.store.positions.list_for_account(account.id)
    promise = promises_of(held, deps.store.books.get(account.id)).get(instrument.symbol)
    closing, opening = (promise or nothing_promised(instrument.symbol)).split(request.side, size)
    need = requirement(account, instrument, opening, price)
    freed = requirement(account, instrument, closing, price)
    margin = account.kind is AccountKind.MARGIN
    available = book.buying_power * EQUITY_INITIAL_MARGIN if margin else book.buying_power
    after = buying_power(account, available + freed - need)
    return WhatIf(decision=decision, buying_power=book.buying_power, buying_power_after=after, requirement=need)
