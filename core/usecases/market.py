"""A new market quote: cache it, work the resting orders on its symbol, and trigger the alerts it meets."""

from __future__ import annotations

from core.market import Quote
from core.orders import Order
from core.usecases import alerts, execution
from core.usecases.deps import Deps


def on_quote(deps: Deps, quote: Quote) -> list[Order]:
    """Returns the orders the quote changed. A quote older than the stored one changes nothing (replays)."""
    deps.catalog.get(quote.symbol)
    if not deps.store.quotes.put(quote):
        return []  # stale or replayed: orders were already evaluated against a newer quote
    with deps.store.unit() as uow:
        changed = execution.work_quote(deps, uow, quote)
        alerts.trigger(deps, uow, quote)
        uow.commit()
    return changed
