"""Order and system events from the streams, each booked in its own unit of work and keyed so a repeat is a
no-op: a fill by its fill id, an order update by the state the order is already in, a system or compliance
event by its envelope id (its audit record and notifications derive their ids from it). Each returns True if
it changed something, False if it had been applied before."""

from __future__ import annotations

from core.audit import AuditKind, AuditRecord
from core.envelope import Envelope, EventType
from core.errors import InvalidRequest
from core.events import OrderUpdate, SystemEvent, TradeFill
from core.ids import derived_id
from core.notifications import NotificationKind
from core.orders import Fill, OrderStatus
from core.ports.broker import BrokerEvent, EventKind
from core.usecases import execution, notify, placement
from core.usecases.deps import Deps, catalog_for

_UPDATES = {
    OrderStatus.ACCEPTED: EventKind.ACCEPTED,
    OrderStatus.CANCELLED: EventKind.CANCELLED,
    OrderStatus.REJECTED: EventKind.REJECTED,
    OrderStatus.EXPIRED: EventKind.EXPIRED,
}


def trade_fill(deps: Deps, envelope: Envelope, event: TradeFill) -> bool:
    """A broker's execution report. AlreadyExists (from the store) when its fill id is booked already. What the
    fill leaves for a real venue (bracket exits, a rest to cancel) is asked once its unit has committed."""
    with deps.store.unit() as uow:
        order = uow.orders.get(event.order_id)
        if (order.symbol, order.side) != (catalog_for(deps, order.account_id).get(event.symbol).symbol, event.side):
            raise InvalidRequest(f"Fill {event.fill_id} does not match order {order.id}.", code="fill_mismatch")
        fill = Fill(
            id=event.fill_id, order_id=order.id, account_id=order.account_id, symbol=order.symbol, side=event.side,
            quantity=event.quantity, price=event.price, time=envelope.time,
        )
        execution.apply(deps, uow, order, [BrokerEvent(kind=EventKind.FILL, order_id=order.id, time=envelope.time,
                                                       fill=fill)], actor=envelope.source)
        uow.commit()
    placement.ask_venue(deps, order.account_id, order.symbol)
    return True


def order_update(deps: Deps, envelope: Envelope, event: OrderUpdate) -> bool:
    """A broker's order status. Fill statuses change nothing here (their trade.fill books them)."""
    kind = _UPDATES.get(event.status)
    if kind is None:
        return False
    with deps.store.unit() as uow:
        order = uow.orders.get(event.order_id)
        if order.status is event.status:
            return False
        update = BrokerEvent(kind=kind, order_id=order.id, time=envelope.time, reason=f"{envelope.source}: {kind}")
        execution.apply(deps, uow, order, [update], actor=envelope.source)
        uow.commit()
    return True


def system_event(deps: Deps, envelope: Envelope, event: SystemEvent) -> bool:
    """Audit the event and tell every admin. AlreadyExists (at commit) when the envelope was seen."""
    compliance = envelope.known_type is EventType.COMPLIANCE_EVENT
    kind = NotificationKind.COMPLIANCE if compliance else NotificationKind.SYSTEM
    with deps.store.unit() as uow:
        uow.audit.append(AuditRecord(
            id=derived_id("event", envelope.id, length=16), time=envelope.time, account_id=event.account_id or "*",
            kind=AuditKind.COMPLIANCE if compliance else AuditKind.SYSTEM, actor=envelope.source,
            data={"event_id": envelope.id, **event.model_dump(mode="json")},
        ))
        for admin in notify.admins(deps):
            notify.emit(uow, deps.now(), admin, kind, (envelope.id, admin), event_id=envelope.id,
                        code=event.code, severity=event.severity.value, message=event.message,
                        about_account=event.account_id)
        uow.commit()
    return True
