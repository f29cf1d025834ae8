"""Notifications: one per fill, rejection, expiry, alert firing and kill switch, written in the same unit as
its cause, the trader's own only; the relay puts each on the notify queue once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.errors import RiskRejected, StoreError
from core.ids import derived_id
from core.notifications import Notification, NotificationKind
from core.ports.queue import NotifyQueue
from core.usecases.messaging import outbox as notify
from infra.queues.local import InProcessQueue
from tests.support import order, tick


def kinds(service: uc.Deps, account: str = "alice") -> list[str]:
    return [n.kind.value for n in uc.list_notifications(service, account)]


def test_a_fill_tells_its_trader_once_under_an_id_derived_from_the_fill(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    placed = uc.place_order(service, "alice", order("AAPL", "buy", "10"), idempotency_key="k1")
    [note] = uc.list_notifications(service, "alice")
    [fill] = service.store.fills.list_for_account("alice")
    assert note.id == derived_id(NotificationKind.FILL.value, fill.id, length=16)
    assert note.text == f"Filled: BUY 10 AAPL at 190.02 (order {placed.id}, 10 of 10)"
    assert note.data | {"order_id": placed.id, "fill_id": fill.id} == note.data
    assert uc.list_notifications(service, "ops") == []


def test_a_risk_rejection_tells_the_trader_why(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    with pytest.raises(RiskRejected):
        uc.place_order(service, "alice", order("AAPL", "buy", "1000000"), idempotency_key="big")
    [note] = uc.list_notifications(service, "alice")
    assert note.kind is NotificationKind.REJECTED
    assert note.text.startswith("Order ") and " rejected" in note.text


def test_a_day_order_that_expires_tells_its_trader(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "1", order_type="limit", limit_price="150"),
                             idempotency_key="day")
    clock.advance(days=1)
    uc.expire_day_orders(service)  # the schedule's sweep expires day orders; quotes do not look for them
    assert uc.get_order(service, "alice", resting.id).status.value == "expired"
    assert kinds(service) == [NotificationKind.EXPIRED.value]


def test_a_kill_switch_tells_the_account_and_the_platform_wide_one_tells_the_admins(service) -> None:
    ops = uc.get_account(service, "ops")
    uc.set_kill_switch(service, ops, engaged=True, account_id="alice")
    uc.set_kill_switch(service, ops, engaged=True)
    assert kinds(service, "alice") == [NotificationKind.KILL_SWITCH.value]
    [admin_note] = uc.list_notifications(service, "ops")
    assert admin_note.data == {"scope": "global", "state": "halted", "previous": "active", "engaged": True,
                               "actor": "ops"}


def test_notifications_are_listed_newest_first(service, clock) -> None:
    for quantity in ("1", "2", "3"):
        tick(service, clock, "AAPL", "189.98", "190.02")
        uc.place_order(service, "alice", order("AAPL", "buy", quantity), idempotency_key=quantity)
    notes = uc.list_notifications(service, "alice")
    assert [n.created_at for n in notes] == sorted((n.created_at for n in notes), reverse=True)
    assert len(notes) == 3


def test_the_relay_puts_each_notification_on_the_queue_once_and_marks_it_sent(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    uc.place_order(service, "alice", order("AAPL", "buy", "1"), idempotency_key="k")
    queue = InProcessQueue()
    assert notify.relay(service, queue) == 1
    assert notify.relay(service, queue) == 0
    [message] = queue.drain()
    assert message["kind"] == "order.filled" and message["account_id"] == "alice"
    assert set(message) == {"id", "account_id", "kind", "text", "data", "created_at"}
    assert service.store.notifications.list_unsent() == []


class _Refusing(NotifyQueue):
    """A queue that takes only the first ``room`` notifications of each send, or none while ``down``."""

    def __init__(self, room: int, down: bool = False) -> None:
        self.room, self.down, self.taken = room, down, []

    def send(self, notifications: list[Notification], *, again: str = "") -> list[str]:
        if self.down:
            raise StoreError("queue unavailable")
        self.taken += [n.id for n in notifications[: self.room]]
        return [n.id for n in notifications[: self.room]]


def test_notifications_the_queue_did_not_take_stay_unsent_for_the_next_relay(service, clock) -> None:
    for quantity in ("1", "2", "3"):
        tick(service, clock, "AAPL", "189.98", "190.02")
        uc.place_order(service, "alice", order("AAPL", "buy", quantity), idempotency_key=quantity)
    with pytest.raises(StoreError):
        notify.relay(service, _Refusing(3, down=True))
    assert len(service.store.notifications.list_unsent()) == 3
    partial = _Refusing(2)
    assert notify.relay(service, partial) == 2
    assert len(service.store.notifications.list_unsent()) == 1
    assert notify.relay(service, partial) == 1
    assert len(set(partial.taken)) == 3


def test_the_sweep_relays_only_what_a_faster_relay_left_behind(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    uc.place_order(service, "alice", order("AAPL", "buy", "1"), idempotency_key="old")
    clock.advance(minutes=2)
    tick(service, clock, "AAPL", "189.98", "190.02")
    uc.place_order(service, "alice", order("AAPL", "buy", "2"), idempotency_key="new")
    queue = InProcessQueue()
    assert notify.relay(service, queue, older_than=timedelta(minutes=1)) == 1
    assert [m["data"]["quantity"] for m in queue.drain()] == ["1"]
    assert D(service.store.notifications.list_unsent()[0].data["quantity"]) == 2
