"""Orders and sessions: market orders need an open market, nothing fills on a quote from outside the session,
limits rest, and day orders expire at their session's close by a sweep that needs no quote."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import usecases as uc
from core.errors import RiskRejected
from core.orders import OrderStatus
from tests.support import order, tick

SATURDAY = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
MONDAY_OPEN = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)  # 09:30 New York


def test_an_aapl_market_order_on_a_saturday_is_refused_with_the_next_open(service, clock) -> None:
    clock.now = SATURDAY
    tick(service, clock, "AAPL", "229.90", "230.10")  # a Saturday print: fresh, but no market behind it
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "alice", order("AAPL", "buy", "10"))
    reasons = {r["code"]: r for r in refused.value.details["reasons"]}
    assert set(reasons) == {"market_closed"}
    assert reasons["market_closed"]["message"] == (
        "AAPL trades 09:30-16:00 New York time on exchange trading days; "
        "the market opens Monday 30 Nov at 09:30 ET (14:30 UTC)."
    )
    assert reasons["market_closed"]["value"] == MONDAY_OPEN.isoformat()
    assert uc.positions(service, "alice") == []


def test_a_market_entry_bracket_and_an_ioc_limit_need_an_open_market_too(service, clock) -> None:
    clock.now = SATURDAY
    tick(service, clock, "AAPL", "229.90", "230.10")
    bracket = order("AAPL", "buy", "1", order_type="bracket", take_profit_price="240", stop_loss_price="220")
    ioc = order("AAPL", "buy", "1", order_type="limit", limit_price="230.10", time_in_force="ioc")
    for request in (bracket, ioc):
        with pytest.raises(RiskRejected, match="the market opens Monday 30 Nov"):
            uc.place_order(service, "alice", request)


def test_a_limit_order_rests_outside_the_session_and_fills_only_once_the_market_opens(service, clock) -> None:
    clock.now = SATURDAY
    tick(service, clock, "AAPL", "229.90", "230.10")
    limit = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="231.00"))
    assert limit.status is OrderStatus.ACCEPTED and limit.filled_quantity == 0  # marketable, but not on Saturday
    assert tick(service, clock, "AAPL", "229.00", "229.50") == []  # another Saturday quote: still resting
    clock.now = MONDAY_OPEN
    tick(service, clock, "AAPL", "229.90", "230.10")
    assert uc.get_order(service, "alice", limit.id).status is OrderStatus.FILLED


def test_a_resting_stop_is_not_triggered_by_a_quote_outside_the_session(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    stop = uc.place_order(service, "alice", order("AAPL", "sell", "5", order_type="stop", stop_price="95.00",
                                                   time_in_force="gtc"))
    clock.now = SATURDAY
    assert tick(service, clock, "AAPL", "90.00", "90.02") == []
    assert uc.get_order(service, "alice", stop.id).status is OrderStatus.ACCEPTED and not stop.triggered


def test_crypto_trades_on_a_saturday(service, clock) -> None:
    clock.now = SATURDAY
    tick(service, clock, "BTC-USD", "65000.00", "65010.00")
    done = uc.place_order(service, "alice", order("BTC-USD", "buy", "0.01"))
    assert done.status is OrderStatus.FILLED


def test_a_cl_market_order_in_the_daily_break_is_refused_until_18_00(service, clock) -> None:
    clock.now = datetime(2026, 12, 1, 22, 15, tzinfo=UTC)  # Tuesday 17:15 New York
    tick(service, clock, "CL", "70.00", "70.02")
    with pytest.raises(RiskRejected, match=r"the market opens Tuesday 1 Dec at 18:00 ET \(23:00 UTC\)"):
        uc.place_order(service, "alice", order("CL", "buy", "1"))


def test_a_day_order_expires_at_1600_new_york_by_the_sweep_with_no_quote(service, clock) -> None:
    clock.now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 10:00 New York
    tick(service, clock, "AAPL", "229.90", "230.10")
    day = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="200.00"))
    gtc = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="199.00",
                                                  time_in_force="gtc"))
    clock.now = datetime(2026, 12, 1, 20, 59, 59, tzinfo=UTC)
    assert uc.expire_day_orders(service) == []
    clock.now = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)  # 16:00 New York; no quote since the morning
    expired = uc.expire_day_orders(service)
    assert [o.id for o in expired] == [day.id]
    stored = uc.get_order(service, "alice", day.id)
    assert stored.status is OrderStatus.EXPIRED and "2026-12-01 21:00 UTC" in stored.reason
    assert uc.get_order(service, "alice", gtc.id).status is OrderStatus.ACCEPTED
    assert uc.expire_day_orders(service) == []  # nothing twice


def test_a_day_order_on_the_day_after_thanksgiving_expires_at_the_1300_early_close(service, clock) -> None:
    tick(service, clock, "AAPL", "229.90", "230.10")  # the fixture's clock: Friday 27 Nov, 10:00 New York
    day = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="200.00"))
    clock.now = datetime(2026, 11, 27, 17, 59, tzinfo=UTC)
    assert uc.expire_day_orders(service) == []
    clock.now = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert [o.id for o in uc.expire_day_orders(service)] == [day.id]


def test_a_day_order_placed_on_a_saturday_lasts_until_mondays_close(service, clock) -> None:
    clock.now = SATURDAY
    tick(service, clock, "AAPL", "229.90", "230.10")
    day = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="200.00"))
    clock.now = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # Monday 15:00 New York
    assert uc.expire_day_orders(service) == []
    clock.now = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert [o.id for o in uc.expire_day_orders(service)] == [day.id]


def test_a_day_order_past_its_close_is_expired_by_the_next_quote_it_meets_not_filled(service, clock) -> None:
    clock.now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    tick(service, clock, "AAPL", "229.90", "230.10")
    day = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="200.00"))
    clock.now = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)  # after the close, the price falls through the limit
    tick(service, clock, "AAPL", "190.00", "190.10")
    assert uc.get_order(service, "alice", day.id).status is OrderStatus.ACCEPTED  # the sweep's to expire
    clock.now = datetime(2026, 12, 2, 14, 31, tzinfo=UTC)  # the next session, before any sweep ran
    tick(service, clock, "AAPL", "190.00", "190.10")
    assert uc.get_order(service, "alice", day.id).status is OrderStatus.EXPIRED
    assert uc.positions(service, "alice") == []


def test_a_crypto_day_order_ends_with_the_utc_day(service, clock) -> None:
    tick(service, clock, "BTC-USD", "65000.00", "65010.00")
    day = uc.place_order(service, "alice", order("BTC-USD", "buy", "0.01", order_type="limit", limit_price="60000.00"))
    clock.now = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    assert [o.id for o in uc.expire_day_orders(service)] == [day.id]


def test_the_sweep_expires_a_bracket_exit_with_its_entrys_day(service, clock) -> None:
    clock.now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    tick(service, clock, "AAPL", "229.90", "230.10")
    entry = uc.place_order(service, "alice", order("AAPL", "buy", "2", order_type="bracket",
                                                   take_profit_price="240.00", stop_loss_price="220.00"))
    exits = [o for o in uc.list_orders(service, "alice", open_only=True) if o.parent_id == entry.id]
    assert len(exits) == 2
    clock.now = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    assert {o.id for o in uc.expire_day_orders(service)} == {o.id for o in exits}
    assert uc.list_orders(service, "alice", open_only=True) == []


def test_a_demo_calendar_trades_aapl_on_a_saturday(service, clock) -> None:
    from dataclasses import replace

    from core.sessions import Sessions

    demo = replace(service, sessions=Sessions.always_open())
    clock.now = SATURDAY
    tick(demo, clock, "AAPL", "229.90", "230.10")
    assert uc.place_order(demo, "alice", order("AAPL", "buy", "1")).status is OrderStatus.FILLED


def test_a_limit_moved_through_the_market_on_a_saturday_rests_until_the_open(service, clock) -> None:
    tick(service, clock, "AAPL", "229.90", "230.10")
    limit = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="200.00",
                                                   time_in_force="gtc"))
    clock.now = SATURDAY
    tick(service, clock, "AAPL", "229.90", "230.10")
    moved = uc.modify_order(service, "alice", limit.id, limit_price="231.00")
    assert moved.status is OrderStatus.ACCEPTED and moved.filled_quantity == 0
    clock.now = MONDAY_OPEN
    tick(service, clock, "AAPL", "229.90", "230.10")
    assert uc.get_order(service, "alice", limit.id).status is OrderStatus.FILLED
