"""Booking what a broker reports, inside the caller's unit of work: order states, fills, positions, bracket
exits and one-cancels-other, each with its audit record. The broker decides; this module records."""

from __future__ import annotations

from core.audit import AuditKind
from core.brackets import exit_requests, oco_siblings
from core.errors import NotFound
from core.ids import derived_id
from core.market import Quote
from core.orders import Fill, Order, OrderStatus, OrderType, TimeInForce
from core.portfolio import Position, apply_fill
from core.ports.broker import BrokerEvent, EventKind
from core.ports.store import UnitOfWork
from core.usecases.deps import Deps
from core.usecases.journal import audit, change_status

_STATUS_FOR = {
    EventKind.ACCEPTED: OrderStatus.ACCEPTED,
    EventKind.CANCELLED: OrderStatus.CANCELLED,
    EventKind.REJECTED: OrderStatus.REJECTED,
    EventKind.EXPIRED: OrderStatus.EXPIRED,
}
EXIT_COUNT = 2  # a bracket's exits: take-profit (index 0) and stop-loss (index 1)


def submit(deps: Deps, uow: UnitOfWork, order: Order, actor: str, quote: Quote | None) -> Order:
    """Hand a stored, risk-approved order (status new) to the broker and book the answer."""
    return apply(deps, uow, order, deps.broker.submit(order, quote, deps.now()), actor, quote)


def cancel(deps: Deps, uow: UnitOfWork, order: Order, actor: str, reason: str | None = None) -> Order:
    events = deps.broker.cancel(order, deps.now())
    if reason is not None:
        events = [e.model_copy(update={"reason": reason}) for e in events]
    return apply(deps, uow, order, events, actor)


def apply(
    deps: Deps, uow: UnitOfWork, order: Order, events: list[BrokerEvent], actor: str = "broker",
    quote: Quote | None = None,
) -> Order:
    """Apply ``events`` to ``order`` and store it in the unit. Returns the order as stored."""
    spawned: list[Order] = []
    oco_filled = False
    for event in events:
        if event.kind is EventKind.FILL and event.fill is not None:
            _book_fill(deps, uow, order, event.fill)
            if order.order_type is OrderType.BRACKET and order.parent_id is None:
                spawned.extend(_bracket_exits(deps, uow, order, event.fill))
            oco_filled = oco_filled or order.oco_group is not None
        elif event.kind is EventKind.TRAIL_MOVED:
            order.trail_reference = event.trail_reference
            order.updated_at = event.time
        elif event.kind is EventKind.TRIGGERED:
            order.triggered = True
            audit(uow, deps.now(), order.account_id, AuditKind.ORDER_STATE, actor, order.id, triggered=True)
        elif order.status is not _STATUS_FOR[event.kind]:
            change_status(uow, deps.now(), order, _STATUS_FOR[event.kind], actor, event.reason)
    stored = uow.orders.update(order)
    for child in spawned:
        current = uow.orders.get(child.id)  # an exit that filled at once may have cancelled its sibling
        if current.status is OrderStatus.NEW:
            submit(deps, uow, current, "bracket", quote if quote is not None else uow.quotes.get(child.symbol))
    if oco_filled:
        _cancel_oco_siblings(deps, uow, stored)
    return stored


def work_quote(deps: Deps, uow: UnitOfWork, quote: Quote) -> list[Order]:
    """Evaluate the working orders on the quote's symbol; expire day orders from an earlier UTC day."""
    now = deps.now()
    working = []
    for order in uow.orders.list_open_for_symbol(quote.symbol):
        if order.time_in_force is TimeInForce.DAY and order.created_at.date() < now.date():
            change_status(uow, now, order, OrderStatus.EXPIRED, "system", "day order expired at the end of its UTC day")
            uow.orders.update(order)
        else:
            working.append(order)
    by_order: dict[str, list[BrokerEvent]] = {}
    for event in deps.broker.on_quote(working, quote, now):
        by_order.setdefault(event.order_id, []).append(event)
    changed = []
    for order in working:
        if order.id not in by_order:
            continue
        current = uow.orders.get(order.id)  # an earlier order's fill may have cancelled it (one-cancels-other)
        if not current.status.is_open:
            continue
        changed.append(apply(deps, uow, current, by_order[order.id], quote=quote))
    return changed


def _book_fill(deps: Deps, uow: UnitOfWork, order: Order, fill: Fill) -> None:
    """The fill record, the position and the order move together: they are written in one unit."""
    instrument = deps.catalog.get(order.symbol)
    position = uow.positions.get(order.account_id, order.symbol) or Position(
        account_id=order.account_id, symbol=order.symbol, updated_at=fill.time
    )
    realised = apply_fill(position, fill, instrument)
    uow.positions.save(position)
    uow.fills.add(fill.model_copy(update={"realised_pnl": realised}))
    before = order.status
    order.record_fill(fill.quantity, fill.price, fill.time)
    audit(
        uow, deps.now(), order.account_id, AuditKind.FILL, "broker", order.id,
        fill_id=fill.id, quantity=str(fill.quantity), price=str(fill.price),
        realised_pnl=str(realised), previous=before.value, status=order.status.value,
    )


def exit_id(group: str, index: int) -> str:
    """Exit ids derive from their entry fill, so one-cancels-other finds a sibling by key, not by a query."""
    return derived_id(group, str(index))


def _bracket_exits(deps: Deps, uow: UnitOfWork, entry: Order, fill: Fill) -> list[Order]:
    now = deps.now()
    exits = []
    for index, request in enumerate(exit_requests(entry, fill.quantity)):
        child = Order(
            **request.model_dump(), id=exit_id(fill.id, index), account_id=entry.account_id, created_at=now,
            updated_at=now, source="bracket", parent_id=entry.id, oco_group=fill.id,
        )
        exits.append(uow.orders.add(child))
        audit(uow, now, child.account_id, AuditKind.ORDER_STATE, "bracket", child.id,
              status=child.status.value, parent_id=entry.id)
    return exits


def _cancel_oco_siblings(deps: Deps, uow: UnitOfWork, filled_exit: Order) -> None:
    group_id = filled_exit.oco_group
    assert group_id is not None
    group = []
    for index in range(EXIT_COUNT):
        try:
            group.append(uow.orders.get(exit_id(group_id, index)))
        except NotFound:
            continue
    for sibling in oco_siblings(filled_exit, group):
        cancel(deps, uow, sibling, "oco", reason=f"one-cancels-other: {filled_exit.id} filled")
