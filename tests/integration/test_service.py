"""The use cases end to end on a store: brackets, trailing stops, expiry, retries, audit."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.audit import AuditKind
from core.errors import Forbidden, RiskRejected
from core.market import Quote
from core.orders import OrderStatus, OrderType, Side
from tests.support import order, tick


def test_a_bracket_stop_loss_fill_cancels_the_take_profit_and_books_the_loss(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = uc.place_order(service,
        "alice", order("AAPL", "buy", "10", order_type="bracket", take_profit_price="108.00", stop_loss_price="95.00")
    )
    assert entry.status is OrderStatus.FILLED
    exits = uc.list_orders(service, "alice", open_only=True)
    assert {o.order_type for o in exits} == {OrderType.LIMIT, OrderType.STOP}
    assert all(o.side is Side.SELL and o.quantity == D(10) and o.parent_id == entry.id for o in exits)
    tick(service, clock, "AAPL", "94.90", "94.95")
    by_type = {o.order_type: o for o in uc.list_orders(service, "alice") if o.parent_id == entry.id}
    assert by_type[OrderType.STOP].status is OrderStatus.FILLED
    assert by_type[OrderType.LIMIT].status is OrderStatus.CANCELLED
    assert by_type[OrderType.LIMIT].reason.startswith("one-cancels-other")
    assert uc.positions(service, "alice") == []
    assert uc.portfolio(service, "alice").realised_pnl == D("-51.00")  # (94.90 - 100.00) x 10


def test_a_trailing_stop_follows_the_market_up_and_sells_on_the_pullback(service, clock) -> None:
    tick(service, clock, "AAPL", "100.00", "100.02")
    uc.place_order(service, "alice", order("AAPL", "buy", "10"))
    trail = uc.place_order(service, "alice", order("AAPL", "sell", "10", order_type="trailing_stop", trail_percent="2"))
    assert trail.status is OrderStatus.ACCEPTED and trail.trail_reference == D("100.00")
    for bid in ("104.00", "110.00", "108.50"):
        tick(service, clock, "AAPL", bid, str(D(bid) + D("0.02")))
    assert uc.get_order(service, "alice", trail.id).trail_reference == D("110.00")
    assert uc.get_order(service, "alice", trail.id).status is OrderStatus.ACCEPTED
    tick(service, clock, "AAPL", "107.80", "107.82")  # 2% under the 110.00 high
    sold = uc.get_order(service, "alice", trail.id)
    assert sold.status is OrderStatus.FILLED and sold.average_price == D("107.80")
    assert uc.portfolio(service, "alice").realised_pnl == D("77.80")  # (107.80 - 100.02) x 10


def test_a_day_order_expires_with_its_utc_day_and_a_gtc_order_keeps_working(service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    day = uc.place_order(service, "alice", order("CL", "buy", "1", order_type="limit", limit_price="65.00"))
    gtc = uc.place_order(service,
        "alice", order("CL", "buy", "2", order_type="limit", limit_price="65.00", time_in_force="gtc")
    )
    clock.advance(hours=10)
    tick(service, clock, "CL", "70.10", "70.12")
    uc.expire_day_orders(service)  # the schedule's sweep
    assert uc.get_order(service, "alice", day.id).status is OrderStatus.EXPIRED
    assert uc.get_order(service, "alice", gtc.id).status is OrderStatus.ACCEPTED


def test_a_stale_quote_is_ignored_and_triggers_nothing(service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    resting = uc.place_order(service, "alice", order("CL", "buy", "1", order_type="limit", limit_price="69.00"))
    old = Quote(symbol="CL", bid=D("68.00"), ask=D("68.02"), time=clock.now - timedelta(minutes=5))
    assert uc.on_quote(service, old) == []
    assert uc.get_order(service, "alice", resting.id).status is OrderStatus.ACCEPTED
    assert uc.quote(service, "CL").bid == D("70.00")


def test_a_failure_mid_order_stores_nothing_and_the_retry_places_it_once(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    request = order("AAPL", "buy", "5")
    broken = dataclasses.replace(service, broker=_FailingBroker(service.broker))
    with pytest.raises(RuntimeError, match="broker connection lost"):
        uc.place_order(broken, "alice", request, idempotency_key="key-1")
    assert uc.list_orders(service, "alice") == []  # the order, its risk decision and audit: none of it kept
    assert [r for r in uc.audit_trail(service, "alice") if r.kind.value != "account"] == []
    done = uc.place_order(service, "alice", request, idempotency_key="key-1")
    again = uc.place_order(service, "alice", request, idempotency_key="key-1")
    assert done.id == again.id
    assert done.status is OrderStatus.FILLED
    assert [p.quantity for p in uc.positions(service, "alice")] == [D(5)]


class _FailingBroker:
    """Fails when asked to submit: the process died after the order was written in the unit."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def submit(self, order, quote, now):
        raise RuntimeError("broker connection lost")

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_concurrent_retries_of_one_idempotency_key_create_one_order(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    request = order("AAPL", "buy", "3")
    results: list[str] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            results.append(uc.place_order(service, "alice", request, idempotency_key="same").id)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 8
    assert len(uc.list_orders(service, "alice")) == 1
    assert uc.positions(service, "alice")[0].quantity == D(3)


def test_every_state_change_and_risk_decision_is_in_the_audit_trail(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    filled = uc.place_order(service, "alice", order("AAPL", "buy", "5"))
    with pytest.raises(RiskRejected) as rejected:
        uc.place_order(service, "alice", order("AAPL", "buy", "20000"))
    trail = uc.audit_trail(service, "alice")
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
    uc.place_order(service, "alice", order("NG", "buy", "2"))
    tick(service, clock, "NG", "3.300", "3.302")
    uc.place_order(service, "alice", order("NG", "sell", "2"))
    book = uc.portfolio(service, "alice")
    assert book.realised_pnl == D("1960.000")  # (3.300 - 3.202) x 2 x 10,000 MMBtu
    assert book.cash == D("1001960.000")
    assert book.positions[0].quantity == 0


def test_only_an_admin_may_change_limits_or_kill_switches(service) -> None:
    alice = uc.get_account(service, "alice")
    with pytest.raises(Forbidden):
        uc.set_kill_switch(service, alice, engaged=True)
    with pytest.raises(Forbidden):
        uc.set_limits(service, alice, "alice", alice.limits)
    assert uc.set_kill_switch(service, uc.get_account(service, "ops"), engaged=True) == []
    assert uc.kill_switch_state(service) is True
