"""Positions, the portfolio, quotes, and the orders that close a position."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from core.accounts import Account
from core.buying_power import buying_power, committed, working_requirement
from core.errors import InvalidRequest, NotFound, QuoteUnavailable
from core.market import Quote
from core.orders import Order, OrderRequest, OrderType, Side
from core.portfolio import PortfolioView, PositionView, build_portfolio, equity, value_position
from core.usecases import orders
from core.usecases.accounts import AccountRef, get_account
from core.usecases.deps import Deps


def positions(deps: Deps, account: AccountRef) -> list[PositionView]:
    account_id = get_account(deps, account).id
    held = [p for p in deps.store.positions.list_for_account(account_id) if not p.is_flat]
    quotes = deps.store.quotes.get_many([p.symbol for p in held])
    return [value_position(p, deps.catalog.get(p.symbol), quotes.get(p.symbol)) for p in held]


def portfolio(deps: Deps, account: AccountRef) -> PortfolioView:
    """Cash, equity, buying power, margin used, today's P&L (equity against the day's first valuation; the
    day's realised P&L before that valuation exists), exposure and positions."""
    account = get_account(deps, account)
    held = deps.store.positions.list_for_account(account.id)
    book = deps.store.books.get(account.id)
    symbols = sorted({p.symbol for p in held} | {w.symbol for w in book.opening()})
    instruments = {s: deps.catalog.get(s) for s in symbols}
    quotes = deps.store.quotes.get_many(symbols)
    marks = {s: q.mark for s, q in quotes.items()}
    now_equity = equity(account.starting_cash, held, instruments, marks)
    tied, margined = committed(account, held, instruments, marks)
    tied += working_requirement(account, book.opening(), instruments, marks)
    today = deps.now().date()
    if book.day == today and book.day_start_equity is not None:
        day_pnl = now_equity - book.day_start_equity
    else:
        day_pnl = sum((p.realised_on(today) for p in held), Decimal(0))
    return build_portfolio(
        account.id, account.currency, account.starting_cash, held, instruments, quotes,
        buying_power=buying_power(account, now_equity - tied), margin_used=margined, day_pnl=day_pnl,
    )


def quote(deps: Deps, symbol: str) -> Quote:
    instrument = deps.catalog.get(symbol)
    found = deps.store.quotes.get(instrument.symbol)
    if found is None:
        raise QuoteUnavailable(f"No quote for {instrument.symbol} yet.", symbol=instrument.symbol)
    return found


def closing_order(
    deps: Deps, account: AccountRef, symbol: str, *, quantity: Decimal | None = None, fraction: Decimal | None = None
) -> OrderRequest:
    """The market order that closes all of a position, ``quantity`` of it, or ``fraction`` of it (rounded
    down to the lot size)."""
    instrument = deps.catalog.get(symbol)
    symbol = instrument.symbol
    account_id = get_account(deps, account).id
    held = deps.store.positions.get(account_id, symbol)
    if held is None or held.is_flat:
        raise NotFound(f"You have no {symbol} position to close.", code="no_position")
    size = abs(held.quantity)
    if quantity is not None:
        if quantity > size:
            raise InvalidRequest(f"You hold {size} {symbol}; you cannot close {quantity}.")
        size = quantity
    elif fraction is not None:
        lot = instrument.lot_size
        size = (size * fraction / lot).to_integral_value(rounding=ROUND_DOWN) * lot
        if size == 0:
            raise InvalidRequest(f"That fraction of your {symbol} position is less than one lot.")
    side = Side.SELL if held.quantity > 0 else Side.BUY
    return OrderRequest(symbol=symbol, side=side, quantity=size, order_type=OrderType.MARKET)


def closing_orders(deps: Deps, account: AccountRef) -> list[OrderRequest]:
    """The market orders that flatten every open position of the account."""
    account_id = get_account(deps, account).id
    held = [p for p in deps.store.positions.list_for_account(account_id) if not p.is_flat]
    return [closing_order(deps, account_id, p.symbol) for p in held]


def close_position(
    deps: Deps, actor: Account, account: AccountRef, symbol: str, *, quantity: Decimal | None = None,
    fraction: Decimal | None = None, idempotency_key: str | None = None,
) -> Order:
    """Place the order that closes all of a position, or ``quantity`` or ``fraction`` of it. An admin closing
    another account's position liquidates: a kill switch does not stop it, since it only reduces."""
    account = get_account(deps, account)
    request = closing_order(deps, account, symbol, quantity=quantity, fraction=fraction)
    return orders.place_order(
        deps, account, request, idempotency_key=idempotency_key, source="close",
        liquidation=actor.is_admin and actor.id != account.id,
    )


def close_all(deps: Deps, actor: Account, account: AccountRef) -> list[Order]:
    """Close every open position of the account (one order each)."""
    account = get_account(deps, account)
    return [
        close_position(deps, actor, account, request.symbol) for request in closing_orders(deps, account)
    ]
