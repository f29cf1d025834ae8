"""Resting orders on a quote: the index a warm stream consumer keeps across batches, and working the orders
a quote finds in it.

How the index learns of orders placed, cancelled, filled or moved anywhere (the API, the chat, a venue's
stream, another consumer): every order a broker decision or a fill leaves behind is written through
``execution.store``, which appends it to its symbol's order change log in the same unit
(``OrderRepository.log_change``). The log is kept per symbol, so order writes on different symbols never
contend for one log head. Once per batch, for each symbol of the batch, the index reads that symbol's log past
the symbol's cursor (one query per symbol, empty when nothing changed) and applies it, so an order placed or
cancelled is in the index before the next batch on its symbol. A symbol's working orders are read from the
store the first time a batch brings the symbol, after its cursor is set a tail of entries back (a load's read
may lag the log).

The log keeps an entry a day (``CHANGE_LOG_KEPT``). A symbol that brought no batch for that long may have had
orders placed or cancelled whose entries expired unread: an empty log would then read as "nothing changed". So
the index notes when it last read each symbol's log, and a symbol unread for nearly a day (``STALE_AFTER``, an
hour short of it, against clocks that disagree) is dropped and read afresh from the store, as on its first batch.

A quote then reads only the orders it can trigger, fill or move (core/order_index.py), each again in the
unit, so a copy made stale elsewhere is judged as stored. Day orders are not expired by quotes: the schedule's
sweep (core/usecases/trading/sweep.py) does it; a quote only refuses to work a day order whose day has ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.errors import NotFound
from core.levels import TAIL
from core.market import Quote
from core.order_index import OrderIndex
from core.orders import Order
from core.ports.broker import BrokerEvent
from core.ports.store import CHANGE_LOG_KEPT, UnitOfWork
from core.risk_limits import RiskLimits
from core.usecases.common.deps import Deps
from core.usecases.trading import execution

# Resting orders are worked by quotes younger than this: the default per-account quote age limit (orders of
# many accounts are worked on one quote, so one bound applies to all of them).
WORKING_QUOTE_MAX_AGE = timedelta(seconds=RiskLimits.model_fields["quote_max_age_seconds"].default)
# A symbol's log unread for this long may have lost entries to expiry: its orders are read again from the store.
STALE_AFTER = CHANGE_LOG_KEPT - timedelta(hours=1)


@dataclass
class Worked:
    """What one quote did to the resting orders: the orders it changed, the stored copies it read, and the
    copies of orders the store no longer has; the index takes them once the unit has committed."""

    changed: list[Order] = field(default_factory=list)
    seen: list[Order] = field(default_factory=list)
    gone: list[Order] = field(default_factory=list)


class RestingOrders:
    def __init__(self) -> None:
        self.index: OrderIndex | None = None
        self.read_at: dict[str, datetime] = {}  # when each symbol's log was last read

    def refresh(self, deps: Deps, symbols: list[str]) -> None:
        """Bring the index up to date for a batch on ``symbols`` (see the module docstring)."""
        index = self.index
        if index is None:
            index = self.index = OrderIndex(deps.catalog)
        orders, now = deps.store.orders, deps.now()
        for symbol in symbols:
            last_read = self.read_at.get(symbol)
            if last_read is not None and now - last_read >= STALE_AFTER:
                index.drop(symbol)  # entries it never read may have expired: an empty log proves nothing
            cursor = index.cursors.get(symbol)
            if cursor is None:
                cursor = index.cursors[symbol] = max(0, orders.last_change(symbol) - TAIL)
            index.apply(orders.changes_since(symbol, cursor), now)
            if not index.is_loaded(symbol):
                index.load(symbol, orders.list_open_for_symbol(symbol))
            self.read_at[symbol] = now

    def candidates(self, quote: Quote) -> list[Order]:
        """Copies of the working orders ``quote`` may trigger, fill or move (no store read)."""
        return self.index.candidates(quote) if self.index is not None else []

    def work(self, deps: Deps, uow: UnitOfWork, quote: Quote) -> Worked:
        """Work, in ``uow``, the resting orders ``quote`` reaches. A quote older than the default quote age limit
        (a replay of old data), or from outside the instrument's session (a Saturday print), works nothing."""
        result = Worked()
        now = deps.now()
        if now - quote.time > WORKING_QUOTE_MAX_AGE:
            return result
        if not deps.sessions.is_open(deps.catalog.get(quote.symbol), quote.time):
            return result
        working = []
        for copy in self.candidates(quote):
            try:
                order = uow.orders.get(copy.id)  # as stored: another writer may have filled, moved or cancelled it
            except NotFound:
                result.gone.append(copy)
                continue
            if not order.status.is_open:
                result.seen.append(order)
            elif execution.expire_day_order(deps, uow, order, now):  # its day ended before the sweep came by
                result.changed.append(uow.orders.get(order.id))
            else:
                working.append(order)
        by_order: dict[str, list[BrokerEvent]] = {}
        for event in deps.broker.on_quote(working, quote, now):
            by_order.setdefault(event.order_id, []).append(event)
        for order in working:
            if order.id not in by_order:
                result.seen.append(order)
                continue
            current = uow.orders.get(order.id)  # an earlier order's fill may have cancelled or shrunk it (OCO)
            if not current.status.is_open:
                result.seen.append(current)
                continue
            events = by_order[order.id]
            if current.version != order.version:  # changed meanwhile: the broker judges it as it is now
                events = deps.broker.on_quote([current], quote, now)
            result.changed.append(execution.apply(deps, uow, current, events, quote=quote))
        return result

    def settle(self, result: Worked) -> None:
        """The unit committed: the index takes the orders changed and the copies read."""
        if self.index is None:
            return
        for order in [*result.seen, *result.changed]:
            self.index.update(order)
        for copy in result.gone:
            self.index.forget(copy)
