"""The trading service end to end on a real SQLite store: brackets, trailing stops, expiry, retries, audit."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.audit import AuditKind
from core.errors import Forbidden, RiskRejected
from core.market import Quote
from core.orders import Order, OrderStatus, OrderType, Side
from tests.support import order, tick


def test_a_bracket_stop_loss_fill_cancels_the_take_profit_and_books_the_loss(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = service.place_order(
        "alice", order("AAPL", "buy", "10", order_type="bracket", take_profit_price="108.00", stop_loss_price="95.00")
    )
    assert entry.status is OrderStatus.FILLED
    exits = service.list_orders("alice", open_only=True)
    assert {o.order_type for o in exits} == {OrderType.LIMIT, OrderType.STOP}
    assert all(o.side is Side.SELL and o.quantity == D(10) and o.parent_id == entry.id for o in exits)
    tick(service, clock, "AAPL", "94.90", "94.95")
    by_type = {o.order_type: o for o in service.list_orders("alice") if o.parent_id == entry.id}
    assert by_type[OrderType.STOP].status is OrderStatus.FILLED
    assert by_type[OrderType.LIMIT].status is OrderStatus.CANCELLED
    assert by_type[OrderType.LIMIT].reason.startswith("one-cancels-other")
    assert service.positions("alice") == []
    assert service.portfolio("alice").realised_pnl == D("-51.00")  # (94.90 - 100.00) x 10


def test_a_trailing_stop_follows_the_market_up_and_sells_on_the_pullback(service, clock) -> None:
    tick(service, clock, "AAPL", "100.00", "100.02")
    service.place_order("alice", order("AAPL", "buy", "10"))
    trail = service.place_order("alice", order("AAPL", "sell", "10", order_type="trailing_stop", trail_percent="2"))
    assert trail.status is OrderStatus.ACCEPTED and trail.trail_reference == D("100.00")
    for bid in ("104.00", "110.00", "108.50"):
        tick(service, clock, "AAPL", bid, str(D(bid) + D("0.02")))
    assert service.get_order("alice", trail.id).trail_reference == D("110.00")
    assert service.get_order("alice", trail.id).status is OrderStatus.ACCEPTED
    tick(service, clock, "AAPL", "107.80", "107.82")  # 2% under the 110.00 high
    sold = service.get_order("alice", trail.id)
    assert sold.status is OrderStatus.FILLED and sold.average_price == D("107.80")
    assert service.portfolio("alice").realised_pnl == D("77.80")  # (107.80 - 100.02) x 10


def test_a_day_order_expires_with_its_utc_day_and_a_gtc_order_keeps_working(service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    day = service.place_order("alice", order("CL", "buy", "1", order_type="limit", limit_price="65.00"))
    gtc = service.place_order(
        "alice", order("CL", "buy", "2", order_type="limit", limit_price="65.00", time_in_force="gtc")
    )
    clock.advance(hours=10)
    tick(service, clock, "CL", "70.10", "70.12")
    assert service.get_order("alice", day.id).status is OrderStatus.EXPIRED
    assert service.get_order("alice", gtc.id).status is OrderStatus.ACCEPTED


def test_a_stale_quote_is_ignored_and_triggers_nothing(service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    resting = service.place_order("alice", order("CL", "buy", "1", order_type="limit", limit_price="69.00"))
    old = Quote(symbol="CL", bid=D("68.00"), ask=D("68.02"), time=clock.now - timedelta(minutes=5))
    assert service.on_quote(old) == []
    assert service.get_order("alice", resting.id).status is OrderStatus.ACCEPTED
    assert service.quote("CL").bid == D("70.00")


def test_a_retry_after_a_crash_before_routing_finishes_the_stored_order_once(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    request = order("AAPL", "buy", "5")
    from core.ids import derived_id

    stranded = Order(
        **request.model_dump(), id=derived_id("alice", "key-1"), account_id="alice", created_at=clock.now,
        updated_at=clock.now, request_fingerprint=request.fingerprint(),
    )
    service.store.orders.add(stranded)  # stored, never routed: the process died here
    done = service.place_order("alice", request, idempotency_key="key-1")
    again = service.place_order("alice", request, idempotency_key="key-1")
    assert done.id == again.id == stranded.id
    assert done.status is OrderStatus.FILLED
    assert [p.quantity for p in service.positions("alice")] == [D(5)]


def test_concurrent_retries_of_one_idempotency_key_create_one_order(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    request = order("AAPL", "buy", "3")
    results: list[str] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            results.append(service.place_order("alice", request, idempotency_key="same").id)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 8
    assert len(service.list_orders("alice")) == 1
    assert service.positions("alice")[0].quantity == D(3)


def test_every_state_change_and_risk_decision_is_in_the_audit_trail(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    filled = service.place_order("alice", order("AAPL", "buy", "5"))
    with pytest.raises(RiskRejected) as rejected:
        service.place_order("alice", order("AAPL", "buy", "20000"))
    trail = service.audit_trail("alice")
    kinds = [(r.kind, r.order_id) for r in trail]
    assert (AuditKind.RISK_DECISION, filled.id) in kinds
    assert (AuditKind.FILL, filled.id) in kinds
    states = [r.data["status"] for r in trail if r.kind is AuditKind.ORDER_STATE and r.order_id == filled.id]
    assert states == ["accepted"]
    refused_id = rejected.value.details["order_id"]
    decision = next(r for r in trail if r.kind is AuditKind.RISK_DECISION and r.order_id == refused_id)
    assert decision.data["approved"] is False and "max_order_quantity" in decision.data["reasons"]
    assert [r.data["status"] for r in trail if r.order_id == refused_id and r.kind is AuditKind.ORDER_STATE] == [
        "rejected"
    ]


def test_a_futures_round_trip_realises_pnl_with_the_contract_multiplier(service, clock) -> None:
    tick(service, clock, "NG", "3.200", "3.202")
    service.place_order("alice", order("NG", "buy", "2"))
    tick(service, clock, "NG", "3.300", "3.302")
    service.place_order("alice", order("NG", "sell", "2"))
    book = service.portfolio("alice")
    assert book.realised_pnl == D("1960.000")  # (3.300 - 3.202) x 2 x 10,000 MMBtu
    assert book.cash == D("1001960.000")
    assert book.positions[0].quantity == 0


def test_only_an_admin_may_change_limits_or_kill_switches(service) -> None:
    alice = service.account("alice")
    with pytest.raises(Forbidden):
        service.set_kill_switch(alice, engaged=True)
    with pytest.raises(Forbidden):
        service.set_limits(alice, "alice", alice.limits)
    assert service.set_kill_switch(service.account("ops"), engaged=True) == []
    assert service.kill_switch_state() is True
