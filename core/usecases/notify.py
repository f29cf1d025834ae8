"""Notifications as a transactional outbox: each is added in the unit of work of the event that causes it,
under an id derived from that event (a fill id, an alert and its firing time, an envelope id), so it exists
exactly when its cause does and a redelivered cause cannot add a second. ``relay`` then puts what is unsent
on the notify queue and marks it sent; the queue's consumers drop a repeat by its id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core.accounts import Account, Role, TradingState
from core.alerts import Alert
from core.ids import derived_id
from core.notifications import Notification, NotificationKind
from core.orders import Fill, Order, OrderStatus
from core.ports.queue import NotifyQueue
from core.ports.store import UnitOfWork
from core.usecases.deps import Deps
from core.wording import notifications

RELAY_BATCH = 100
_ENDED = {OrderStatus.REJECTED: NotificationKind.REJECTED, OrderStatus.EXPIRED: NotificationKind.EXPIRED}


def emit(
    uow: UnitOfWork, now: datetime, account_id: str, kind: NotificationKind, key: tuple[str, ...], **data: Any,
) -> Notification:
    """Add one notification to the unit, its id derived from ``kind`` and ``key``; ``data`` (JSON-safe) is what
    it says, its stored ``text`` the plain words core.wording makes of it."""
    text = notifications.sentence(kind, data, account_id)
    if text is None:
        raise ValueError(f"A {kind.value} notification needs more data than {sorted(data)}.")
    notification = Notification(
        id=derived_id(kind.value, *key, length=16), account_id=account_id, kind=kind, text=text, data=data,
        created_at=now,
    )
    uow.notifications.add(notification)
    return notification


def fill(uow: UnitOfWork, order: Order, booked: Fill) -> None:
    """A fill was booked on ``order`` (already updated with it)."""
    emit(uow, booked.time, order.account_id, NotificationKind.FILL, (booked.id,), order_id=order.id,
         fill_id=booked.id, symbol=order.symbol, side=order.side.value, quantity=str(booked.quantity),
         price=str(booked.price), filled_quantity=str(order.filled_quantity), order_quantity=str(order.quantity),
         status=order.status.value)


def order_ended(uow: UnitOfWork, now: datetime, order: Order) -> None:
    """An order was rejected or expired (other status changes tell nobody)."""
    kind = _ENDED.get(order.status)
    if kind is None:
        return
    emit(uow, now, order.account_id, kind, (order.id, order.status.value), order_id=order.id,
         symbol=order.symbol, side=order.side.value, quantity=str(order.quantity), status=order.status.value,
         reason=order.reason)


def fill_guarded(uow: UnitOfWork, now: datetime, order: Order, code: str, asked: Decimal, booked: Decimal) -> None:
    """A fill was trimmed at booking (core.fill_guard) and the rest of the order is being cancelled."""
    emit(uow, now, order.account_id, NotificationKind.REJECTED, (order.id, code), order_id=order.id,
         symbol=order.symbol, side=order.side.value, quantity=str(order.quantity), status=order.status.value,
         code=code, fill_quantity=str(asked), booked=str(booked))


def alert_fired(uow: UnitOfWork, alert: Alert, price: Decimal, at: datetime) -> None:
    emit(uow, at, alert.account_id, NotificationKind.ALERT, (alert.id, at.isoformat()), alert_id=alert.id,
         symbol=alert.symbol, condition=alert.condition.value, threshold=str(alert.threshold), price=str(price),
         description=alert.describe())


def trading_state(
    deps: Deps, uow: UnitOfWork, actor: Account, *, state: TradingState, previous: TradingState,
    account_id: str | None,
) -> None:
    """The account's trader is told of its trading state; the admins of the platform's."""
    now = deps.now()
    data = {"state": state.value, "previous": previous.value, "engaged": state is not TradingState.ACTIVE,
            "actor": actor.id}
    if account_id is not None:
        emit(uow, now, account_id, NotificationKind.KILL_SWITCH, (account_id, state.value, now.isoformat()),
             scope="account", **data)
        return
    for admin in admins(deps):
        emit(uow, now, admin, NotificationKind.KILL_SWITCH, ("*", admin, state.value, now.isoformat()),
             scope="global", **data)


def admins(deps: Deps) -> list[str]:
    return [account.id for account in deps.store.accounts.list() if account.role is Role.ADMIN]


def relay(deps: Deps, queue: NotifyQueue, *, limit: int = RELAY_BATCH, older_than: timedelta | None = None) -> int:
    """Put unsent notifications on ``queue`` (with ``older_than``, only those at least that old: a sweep
    behind a faster relay) and mark the ones it took as sent. Returns how many were sent."""
    pending = deps.store.notifications.list_unsent(limit=limit)
    if older_than is not None:
        pending = [n for n in pending if n.created_at <= deps.now() - older_than]
    return len(send(deps, queue, pending))


def send(deps: Deps, queue: NotifyQueue, notifications: list[Notification]) -> set[str]:
    """Put ``notifications`` on the queue and mark those it accepted as sent (the rest stay for a retry).
    Returns the ids sent."""
    if not notifications:
        return set()
    accepted = set(queue.send(notifications))
    now = deps.now()
    for notification in notifications:
        if notification.id in accepted:
            deps.store.notifications.mark_sent(notification, now)
    return accepted

