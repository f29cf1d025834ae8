"""The day-order sweep: day orders expire at their session's close whether or not a quote arrives, and each
instrument's price at its close is recorded, for the next trading day's P&L to be measured from.

Run on a schedule (EventBridge Scheduler in AWS, a timer in the local server). Quotes do not scan for day
orders to expire, since they touch only the orders they can trade (core/usecases/market/resting.py); a quote that
reaches a day order whose day has ended expires it by the same rule instead of working it.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from core.market import SessionClose
from core.orders import Order
from core.usecases.common.deps import Deps
from core.usecases.common.retry import on_conflict
from core.usecases.trading import execution


def expire_day_orders(deps: Deps) -> list[Order]:
    """Expire every working day order whose session has closed, one unit per order (units stay small, and
    one order that conflicts with a concurrent fill is retried on its own). Returns the orders expired."""
    now = deps.now()
    expired = []
    for instrument in deps.catalog:
        for order in deps.store.orders.list_open_for_symbol(instrument.symbol):
            if execution.day_order_ended(deps, order, now) is not None:
                done = on_conflict(partial(_expire, deps, order.id))
                if done is not None:
                    expired.append(done)
    return expired


def _expire(deps: Deps, order_id: str) -> Order | None:
    with deps.store.unit() as uow:
        order = uow.orders.get(order_id)  # read again in the unit: a fill or a cancel may have come first
        if not order.status.is_open or not execution.expire_day_order(deps, uow, order, deps.now()):
            return None
        uow.commit()
    return order


# How late after a close a quote may still stand for it when no session follows at once (crypto's day ends at
# midnight and trading goes on): the sweep runs every minute, so its first run after the close is in time.
CLOSE_GRACE = timedelta(minutes=5)


def record_session_closes(deps: Deps) -> list[SessionClose]:
    """Record the last price of every instrument whose session has closed since its last record: the price
    today's P&L is measured from once its next trading day begins (core.day_pnl). A quote that came after the
    next session opened is not that close's price, so the close is left unrecorded."""
    now = deps.now()
    due = {instrument.symbol: deps.sessions.last_close(instrument, now) for instrument in deps.catalog}
    stored = deps.store.quotes.get_closes(list(due))
    due = {symbol: at for symbol, at in due.items() if symbol not in stored or stored[symbol].at < at}
    quotes = deps.store.quotes.get_many(list(due)) if due else {}
    recorded = []
    for symbol, at in due.items():
        quote = quotes.get(symbol)
        following = deps.sessions.calendar(deps.catalog.get(symbol)).session_for(at).open
        if quote is None or quote.time >= max(following, at + CLOSE_GRACE):
            continue
        before = stored.get(symbol)
        close = before.then(at, quote.mark) if before else SessionClose(symbol=symbol, at=at, price=quote.mark)
        deps.store.quotes.put_close(close)
        recorded.append(close)
    return recorded
