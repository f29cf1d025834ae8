"""The day-order sweep: day orders expire at their session's close whether or not a quote arrives.

Run on a schedule (EventBridge Scheduler in AWS, a timer in the local server). Quotes expire day orders too
(``execution.work_quote``), by the same rule; the sweep is for the symbols that go quiet at the close.
"""

from __future__ import annotations

from core.orders import Order
from core.usecases import execution
from core.usecases.deps import Deps
from core.usecases.retry import on_conflict


def expire_day_orders(deps: Deps) -> list[Order]:
    """Expire every working day order whose session has closed, one unit per order (units stay small, and
    one order that conflicts with a concurrent fill is retried on its own). Returns the orders expired."""
    now = deps.now()
    expired = []
    for instrument in deps.catalog:
        for order in deps.store.orders.list_open_for_symbol(instrument.symbol):
            if execution.day_order_ended(deps, order, now) is not None:
                done = on_conflict(lambda order_id=order.id: _expire(deps, order_id))
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
