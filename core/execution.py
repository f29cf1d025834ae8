"""Booking what a broker reports: order states, fills, positions, bracket exits and OCO, audit.

The broker decides; this module records. Every change it makes is written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.audit import AuditKind, AuditRecord
from core.brackets import exit_requests, oco_siblings
from core.brokers.base import Broker, BrokerEvent, EventKind
from core.errors import ConcurrentUpdate
from core.ids import derived_id, new_id
from core.instruments import InstrumentCatalog
from core.market import Quote
from core.orders import Fill, Order, OrderStatus, OrderType
from core.portfolio import Position, apply_fill
from core.store.ports import Store

_STATUS_FOR = {
    EventKind.ACCEPTED: OrderStatus.ACCEPTED,
    EventKind.CANCELLED: OrderStatus.CANCELLED,
    EventKind.REJECTED: OrderStatus.REJECTED,
    EventKind.EXPIRED: OrderStatus.EXPIRED,
}
_POSITION_RETRIES = 5


class ExecutionDesk:
    """Applies broker events to the store for one order at a time; the caller persists the order."""

    def __init__(self, store: Store, broker: Broker, catalog: InstrumentCatalog, clock: Callable[[], datetime]):
        self.store = store
        self.broker = broker
        self.catalog = catalog
        self.clock = clock

    def audit(
        self, account_id: str, kind: AuditKind, actor: str, order_id: str | None = None, **data: object
    ) -> None:
        self.store.audit.append(
            AuditRecord(
                id=new_id(16), time=self.clock(), account_id=account_id, kind=kind,
                actor=actor, order_id=order_id, data=data,
            )
        )

    def change_status(self, order: Order, target: OrderStatus, actor: str, reason: str | None = None) -> None:
        before = order.status
        order.transition(target, self.clock(), reason)
        self.audit(
            order.account_id, AuditKind.ORDER_STATE, actor, order.id,
            previous=before.value, status=target.value, reason=reason,
        )

    def apply(self, order: Order, events: list[BrokerEvent], actor: str = "broker") -> Order:
        """Apply ``events`` to ``order`` and persist it (version-checked). Returns the stored order."""
        spawned: list[Order] = []
        oco_filled = False
        for event in events:
            if event.kind is EventKind.FILL and event.fill is not None:
                self._book_fill(order, event.fill)
                if order.order_type is OrderType.BRACKET and order.parent_id is None:
                    spawned.extend(self._bracket_exits(order, event.fill))
                oco_filled = oco_filled or order.oco_group is not None
            elif event.kind is EventKind.TRAIL_MOVED:
                order.trail_reference = event.trail_reference
                order.updated_at = event.time
            elif event.kind is EventKind.TRIGGERED:
                order.triggered = True
                self.audit(order.account_id, AuditKind.ORDER_STATE, actor, order.id, triggered=True)
            elif order.status is not _STATUS_FOR[event.kind]:
                self.change_status(order, _STATUS_FOR[event.kind], actor, event.reason)
        stored = self.store.orders.update(order)
        for child in spawned:
            self.submit(child, actor="bracket")
        if oco_filled:
            self._cancel_oco_siblings(stored)
        return stored

    def submit(self, order: Order, actor: str) -> Order:
        """Hand a stored, risk-approved order (status new) to the broker and book the answer."""
        quote = self.store.quotes.get(order.symbol)
        return self.apply(order, self.broker.submit(order, quote, self.clock()), actor)

    def cancel(self, order: Order, actor: str, reason: str | None = None) -> Order:
        events = self.broker.cancel(order, self.clock())
        if reason is not None:
            events = [e.model_copy(update={"reason": reason}) for e in events]
        return self.apply(order, events, actor)

    def on_quote(self, quote: Quote) -> list[Order]:
        """Evaluate the working orders on the quote's symbol; expire day orders from an earlier UTC day."""
        now = self.clock()
        working = []
        for order in self.store.orders.list_open_for_symbol(quote.symbol):
            if order.time_in_force.value == "day" and order.created_at.date() < now.date():
                working.append(self._expire(order))
            else:
                working.append(order)
        live = [o for o in working if o.status.is_open]
        by_order: dict[str, list[BrokerEvent]] = {}
        for event in self.broker.on_quote(live, quote, now):
            by_order.setdefault(event.order_id, []).append(event)
        changed = []
        for order in live:
            if order.id in by_order:
                try:
                    changed.append(self.apply(order, by_order[order.id]))
                except ConcurrentUpdate:
                    continue  # changed elsewhere meanwhile; the next quote evaluates it afresh
        return changed

    def _expire(self, order: Order) -> Order:
        self.change_status(order, OrderStatus.EXPIRED, "system", "day order expired at the end of its UTC day")
        return self.store.orders.update(order)

    def _book_fill(self, order: Order, fill: Fill) -> None:
        """Position first (version-checked, remembers the fill id), then the fill record (deduped by id):
        a booking retried after a crash at any point neither loses nor doubles the fill."""
        instrument = self.catalog.get(order.symbol)
        for _ in range(_POSITION_RETRIES):
            position = self.store.positions.get(order.account_id, order.symbol) or Position(
                account_id=order.account_id, symbol=order.symbol, updated_at=fill.time
            )
            already_held = fill.id in position.recent_fills
            realised = apply_fill(position, fill, instrument)
            try:
                if not already_held:
                    self.store.positions.save(position)
                break
            except ConcurrentUpdate:
                continue
        else:
            raise ConcurrentUpdate(f"Position {order.account_id}/{order.symbol} kept changing; fill not booked.")
        self.store.fills.add(fill.model_copy(update={"realised_pnl": realised}))
        before = order.status
        order.record_fill(fill.quantity, fill.price, fill.time)
        self.audit(
            order.account_id, AuditKind.FILL, "broker", order.id,
            fill_id=fill.id, quantity=str(fill.quantity), price=str(fill.price),
            realised_pnl=str(realised), previous=before.value, status=order.status.value,
        )

    def _bracket_exits(self, entry: Order, fill: Fill) -> list[Order]:
        now = self.clock()
        exits = []
        for index, request in enumerate(exit_requests(entry, fill.quantity)):
            exits.append(
                Order(
                    **request.model_dump(),
                    id=derived_id(fill.id, str(index)),
                    account_id=entry.account_id,
                    created_at=now,
                    updated_at=now,
                    source="bracket",
                    parent_id=entry.id,
                    oco_group=fill.id,
                )
            )
        stored = []
        for child in exits:
            stored.append(self.store.orders.add(child))
            self.audit(child.account_id, AuditKind.ORDER_STATE, "bracket", child.id,
                       status=child.status.value, parent_id=entry.id)
        return stored

    def _cancel_oco_siblings(self, filled_exit: Order) -> None:
        group = [
            o for o in self.store.orders.list_for_account(filled_exit.account_id, open_only=True)
            if o.oco_group == filled_exit.oco_group
        ]
        for sibling in oco_siblings(filled_exit, group):
            self.cancel(sibling, "oco", reason=f"one-cancels-other: {filled_exit.id} filled")
