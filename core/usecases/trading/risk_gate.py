"""The pre-trade gate as a use case sees it: gather the account's state through the unit, then decide.

The reads are the few the decision needs, batched where the store can: the positions (which carry what they
were when their trading day began), the quotes, session closes and platform settings in one call, and the
account's recent orders.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.accounts import Account
from core.day_pnl import day_base
from core.orders import Order, OrderRequest
from core.ports.store import Store, UnitOfWork
from core.risk import RATE_WINDOW, RiskContext, RiskDecision, check_order
from core.usecases.common.deps import Deps, catalog_for


def recent_window(account: Account, at_least: timedelta = timedelta(0)) -> timedelta:
    """How far back the gate looks at orders: the rate window (if the account has an order-rate limit) or the
    duplicate window, whichever is longer. An account without either reads none: under a crowd the rate
    window holds every order of the last minute, and reading them all made each order slower than the last."""
    rate = RATE_WINDOW if account.limits.max_orders_per_minute is not None else timedelta(0)
    return max(rate, timedelta(seconds=account.limits.duplicate_window_seconds), at_least)


def recent_orders(
    uow: UnitOfWork | Store, account: Account, now: datetime, at_least: timedelta = timedelta(0)
) -> list[Order]:
    """The account's orders inside the gate's window (or ``at_least``), newest first."""
    return uow.orders.list_for_account(account.id, since=now - recent_window(account, at_least))


def gather(
    deps: Deps,
    uow: UnitOfWork | Store,
    account: Account,
    request: OrderRequest,
    *,
    recent: list[Order] | None = None,
    exclude_order_id: str | None = None,
    liquidation: bool = False,
) -> RiskContext:
    """What the gate needs for ``request``, read through ``uow`` (or the store, for a what-if). ``recent``
    may pass orders the caller already read (at least the gate's window); ``exclude_order_id`` is an order
    being resumed, which is not its own duplicate. The use case reuses the context (its quote, its
    positions) instead of reading them again.

    The account is read again through ``uow``: its trading state and limits are judged as they stand in the
    unit the order commits in, not as they were when the request was authenticated. It is read after the
    positions: on DynamoDB their query returns the account's whole partition (profile, risk book, positions)
    and the unit remembers it, so the account and the book cost no round trip of their own."""
    now = deps.now()
    positions = uow.positions.list_for_account(account.id)
    account = uow.accounts.get(account.id)
    book = uow.books.get(account.id)
    working = book.orders(excluding=exclude_order_id)
    symbols = sorted({p.symbol for p in positions} | {w.symbol for w in working} | {request.symbol})
    quotes, closes, settings = uow.prices_and_settings(symbols)
    catalog = catalog_for(deps, account.id)
    instruments = {s: catalog.get(s) for s in symbols}
    base = day_base(positions, instruments, deps.sessions, now, quotes, closes)  # the stored quotes' times count
    stored = quotes.get(request.symbol)
    if stored is None or not stored.is_fresh(now, timedelta(seconds=account.limits.quote_max_age_seconds)):
        # The streams have none fresh: an account on a real venue asks its venue (cached briefly there).
        asked = deps.broker.fresh_quote(account.id, request.symbol)
        if asked is not None:
            quotes[request.symbol] = asked
    quote = quotes.get(request.symbol)
    instrument = instruments[request.symbol]
    pays = deps.broker.market_price(account.id, request.side, quote, instrument) if quote is not None else None
    if recent is None:
        recent = recent_orders(uow, account, now)
    since = now - recent_window(account)
    return RiskContext(
        account=account,
        instrument=instrument,
        quote=quote,
        now=now,
        positions=positions,
        instruments=instruments,
        quotes=quotes,
        recent_orders=[o for o in recent if o.id != exclude_order_id and o.created_at >= since],
        day_base=base,
        platform_state=settings.trading_state,
        working=working,
        liquidation=liquidation,
        market=deps.sessions.status(instrument, now),
        pays=pays,
    )


def decide(
    deps: Deps, uow: UnitOfWork | Store, account: Account, request: OrderRequest, **options: Any
) -> RiskDecision:
    """Gather and run the gate in one step, for callers that need only the decision."""
    return check_order(request, gather(deps, uow, account, request, **options))
