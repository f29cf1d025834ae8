"""Orders fill and trigger only against fresh prices, on the price their instrument triggers on, and an order
that would do at once what its type waits for is refused at entry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.errors import IdempotencyKeyReused, InvalidRequest, RiskRejected
from core.market import Quote
from core.orders import OrderRequest, OrderStatus, Side
from tests.support import order, tick


def test_a_limit_buy_never_fills_against_a_quote_days_old(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    clock.advance(days=3)
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="101.00"))
    assert resting.status is OrderStatus.ACCEPTED and resting.filled_quantity == 0


def test_a_replayed_old_quote_fills_and_triggers_nothing(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="99.00"))
    old = Quote(symbol="AAPL", bid=D("98.00"), ask=D("98.02"), time=clock.now + timedelta(seconds=1))
    clock.advance(minutes=10)
    uc.on_quote(service, old)
    assert uc.get_order(service, "alice", resting.id).status is OrderStatus.ACCEPTED


def test_ioc_and_fok_orders_with_no_fresh_quote_are_cancelled_at_once(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    clock.advance(days=3)  # Monday morning: the market is open and the quote three days old
    for tif in ("ioc", "fok"):
        done = uc.place_order(
            service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="101.00", time_in_force=tif)
        )
        assert done.status is OrderStatus.CANCELLED and "no fresh AAPL quote" in done.reason


def test_a_stop_already_beyond_the_market_is_refused_at_entry(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    with pytest.raises(InvalidRequest, match="would trigger the moment") as refused:
        uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="stop", stop_price="99.50"))
    assert refused.value.code == "stop_already_triggered"
    with pytest.raises(InvalidRequest, match="at or above the market"):
        uc.place_order(service, "alice", order("AAPL", "sell", "5", order_type="stop", stop_price="100.50"))
    protective = uc.place_order(service, "alice", order("AAPL", "sell", "5", order_type="stop", stop_price="90.00"))
    assert protective.status is OrderStatus.ACCEPTED


def test_a_trail_under_one_tick_is_refused(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    with pytest.raises(InvalidRequest, match="under one AAPL tick"):
        uc.place_order(service, "alice", order("AAPL", "sell", "1", order_type="trailing_stop", trail_amount="0.001"))
    with pytest.raises(InvalidRequest, match="under one AAPL tick"):
        uc.place_order(service, "alice", order("AAPL", "sell", "1", order_type="trailing_stop", trail_percent="0.001"))


def test_a_stock_stop_triggers_on_the_last_trade_when_the_quote_has_one(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "5"))
    stop = uc.place_order(service, "alice", order("AAPL", "sell", "5", order_type="stop", stop_price="95.00"))
    clock.advance(seconds=1)
    uc.on_quote(service, Quote(symbol="AAPL", bid=D("94.90"), ask=D("95.10"), last=D("95.05"), time=clock.now))
    assert uc.get_order(service, "alice", stop.id).status is OrderStatus.ACCEPTED  # bid crossed, last did not
    clock.advance(seconds=1)
    uc.on_quote(service, Quote(symbol="AAPL", bid=D("94.96"), ask=D("95.02"), last=D("95.00"), time=clock.now))
    assert uc.get_order(service, "alice", stop.id).status is OrderStatus.FILLED


def test_a_trailing_stop_rounds_toward_the_market_never_looser_than_asked(service, clock) -> None:
    tick(service, clock, "AAPL", "100.00", "100.02")
    uc.place_order(service, "alice", order("AAPL", "buy", "10"))
    trail = uc.place_order(
        service, "alice", order("AAPL", "sell", "10", order_type="trailing_stop", trail_percent="1.007")
    )
    # 100.00 x (1 - 1.007%) = 98.993: the stop rounds up to 99.00 (not to 98.99), so a bid of 99.00 sells
    tick(service, clock, "AAPL", "99.00", "99.02")
    assert uc.get_order(service, "alice", trail.id).status is OrderStatus.FILLED


def test_a_scale_in_at_another_price_is_no_duplicate_but_the_same_limit_again_is(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="99.00"))
    uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="98.00"))
    with pytest.raises(RiskRejected, match="same order"):
        uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="98.00"))


def test_an_idempotency_key_sees_10_and_10_point_0_as_the_same_request(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    first = uc.place_order(service, "alice", order("AAPL", "buy", "10"), idempotency_key="k")
    again = uc.place_order(service, "alice", order("AAPL", "buy", "10.0"), idempotency_key="k")
    assert again.id == first.id
    with pytest.raises(IdempotencyKeyReused):
        uc.place_order(service, "alice", order("AAPL", "buy", "11"), idempotency_key="k")
    assert OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D("10.0")).fingerprint() == OrderRequest(
        symbol="AAPL", side=Side.BUY, quantity=D(10)
    ).fingerprint()
