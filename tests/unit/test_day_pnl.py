"""Today's P&L and the daily loss limit, by each instrument's trading day: equity now against equity when the
instrument's day began (crypto at midnight UTC, US equities at the New York open), measured from the price the
day-order sweep recorded at the last close, or from the fill price for what was bought today."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.alerts import AlertCondition, AlertStatus, RiskMeasure
from core.errors import RiskRejected
from core.market import Quote, SessionClose
from core.portfolio import Position
from core.risk_book import RiskBook
from core.risk_limits import RiskLimits
from tests.support import order

MONDAY_10_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
MONDAY_CLOSE = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)  # 16:00 New York
TUESDAY_MIDNIGHT = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
TUESDAY_5_NY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # crypto's day has begun, the equities' has not
TUESDAY_10_NY = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PROBE = order("MSFT", "buy", "1", order_type="limit", limit_price="1.00")  # a resting order: only the gate speaks


def trade(service, clock, symbol: str, price: str, at: datetime) -> None:
    """A quote whose last trade is ``price`` (its mark), with ``price`` on the ask."""
    clock.now = at
    ask = D(price)
    uc.on_quote(service, Quote(symbol=symbol, bid=ask - D("0.01"), ask=ask, last=ask, time=at))


def sweep(service, clock, at: datetime) -> list[str]:
    clock.now = at
    return [close.symbol for close in uc.record_session_closes(service)]


def loss_limit(service, amount: str) -> None:
    limits = RiskLimits(daily_loss_limit=D(amount), duplicate_window_seconds=0)
    uc.set_limits(service, uc.get_account(service, "ops"), "alice", limits)


def refusals(service) -> list[str]:
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "alice", PROBE)
    return [reason["code"] for reason in refused.value.details["reasons"]]


def test_a_position_held_overnight_loses_today_from_the_close_not_from_its_entry(service, clock) -> None:
    trade(service, clock, "AAPL", "100.00", MONDAY_10_NY)
    uc.place_order(service, "alice", order("AAPL", "buy", "100"))  # filled at 100
    trade(service, clock, "AAPL", "110.00", datetime(2026, 11, 30, 20, 59, tzinfo=UTC))
    assert sweep(service, clock, MONDAY_CLOSE.replace(second=30)) == ["AAPL"]
    trade(service, clock, "AAPL", "105.00", TUESDAY_10_NY)  # +5 a share since entry, -5 since the close
    loss_limit(service, "400")
    assert refusals(service) == ["daily_loss_limit"]
    assert uc.portfolio(service, "alice").day_pnl == D("-500.00")
    loss_limit(service, "500")
    assert uc.place_order(service, "alice", PROBE).status.value == "accepted"


def test_what_was_bought_today_counts_from_its_fill_and_what_was_sold_from_the_close(service, clock) -> None:
    trade(service, clock, "AAPL", "100.00", MONDAY_10_NY)
    uc.place_order(service, "alice", order("AAPL", "buy", "100"))
    trade(service, clock, "AAPL", "110.00", datetime(2026, 11, 30, 20, 59, tzinfo=UTC))
    sweep(service, clock, MONDAY_CLOSE)
    trade(service, clock, "AAPL", "108.00", TUESDAY_10_NY)
    uc.place_order(service, "alice", order("AAPL", "sell", "50"))  # at the bid, 107.99: 2.01 below the close
    trade(service, clock, "AAPL", "104.00", TUESDAY_10_NY.replace(minute=5))
    uc.place_order(service, "alice", order("AAPL", "buy", "20"))  # at 104
    trade(service, clock, "AAPL", "105.00", TUESDAY_10_NY.replace(minute=10))
    # sold 50: -100.50; held 50 from the close: -250; bought 20 today: +20 (the average price is inexact)
    assert uc.portfolio(service, "alice").day_pnl.quantize(D("0.01")) == D("-330.50")


def test_crypto_and_equity_days_begin_at_different_times(service, clock) -> None:
    trade(service, clock, "AAPL", "100.00", MONDAY_10_NY)
    trade(service, clock, "BTC-USD", "50000.00", MONDAY_10_NY)
    uc.place_order(service, "alice", order("AAPL", "buy", "100"))
    uc.place_order(service, "alice", order("BTC-USD", "buy", "1"))
    trade(service, clock, "AAPL", "110.00", datetime(2026, 11, 30, 20, 59, tzinfo=UTC))
    assert sweep(service, clock, MONDAY_CLOSE) == ["AAPL"]
    trade(service, clock, "BTC-USD", "51000.00", datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    assert sweep(service, clock, TUESDAY_MIDNIGHT.replace(second=30)) == ["BTC-USD"]
    trade(service, clock, "BTC-USD", "50000.00", TUESDAY_5_NY)
    loss_limit(service, "1200")
    # BTC-USD's Tuesday began at midnight: -1,000. AAPL's day is still Monday's: bought at 100, now 110: +1,000.
    assert uc.portfolio(service, "alice").day_pnl == D("0.00")
    assert uc.place_order(service, "alice", PROBE).status.value == "accepted"
    trade(service, clock, "AAPL", "105.00", TUESDAY_10_NY)
    # AAPL's Tuesday began at the open: -5 a share from Monday's close; BTC-USD still -1,000.
    assert uc.portfolio(service, "alice").day_pnl == D("-1500.00")
    assert refusals(service) == ["daily_loss_limit"]


def test_with_no_price_from_before_the_day_a_position_counts_from_its_entry(service, clock) -> None:
    trade(service, clock, "AAPL", "100.00", MONDAY_10_NY)
    uc.place_order(service, "alice", order("AAPL", "buy", "100"))
    trade(service, clock, "AAPL", "96.00", TUESDAY_10_NY)  # no sweep ran: Monday's close is unknown
    assert uc.portfolio(service, "alice").day_pnl == D("-400.00")


def test_the_sweep_records_each_close_once_and_keeps_the_one_before() -> None:
    close = SessionClose(symbol="AAPL", at=MONDAY_CLOSE, price=D("110"))
    later = close.then(datetime(2026, 12, 1, 21, 0, tzinfo=UTC), D("105"))
    assert later.price_before(TUESDAY_10_NY) == D("110")  # Tuesday's day began before Tuesday's close
    assert later.price_before(datetime(2026, 12, 2, 14, 30, tzinfo=UTC)) == D("105")
    assert later.price_before(MONDAY_10_NY) is None


def test_a_position_keeps_what_the_day_found_until_its_next_day() -> None:
    position = Position(account_id="a", symbol="AAPL", quantity=D(100), average_price=D(100), updated_at=MONDAY_10_NY)
    assert position.at_day_start(TUESDAY_10_NY) == (D(100), D(100), D(0))


def test_a_risk_book_stored_with_the_old_day_start_equity_still_loads() -> None:
    stored = '{"account_id": "a", "working": {}, "day": "2026-11-27", "day_start_equity": "100000", "version": 3}'
    assert RiskBook.model_validate_json(stored) == RiskBook(account_id="a", version=3)


def test_the_daily_loss_usage_alert_reads_todays_pnl_as_the_gate_does_not_the_loss_since_entry(service, clock):
    trade(service, clock, "AAPL", "110.00", MONDAY_10_NY)
    uc.place_order(service, "alice", order("AAPL", "buy", "100"))  # filled at 110
    trade(service, clock, "AAPL", "100.00", datetime(2026, 11, 30, 20, 59, tzinfo=UTC))
    sweep(service, clock, MONDAY_CLOSE)
    loss_limit(service, "1000")
    alert = uc.set_alert(service, "alice", "AAPL", AlertCondition.RISK_ABOVE, D("80"),
                         risk_limit=RiskMeasure.DAILY_LOSS)
    trade(service, clock, "AAPL", "100.00", TUESDAY_10_NY)  # -1,000 since entry, flat on the day
    assert uc.portfolio(service, "alice").day_pnl == D("0.00")
    assert uc.list_alerts(service, "alice")[0].status is AlertStatus.ACTIVE
    trade(service, clock, "AAPL", "92.00", TUESDAY_10_NY.replace(minute=5))  # -800 today: 80% of the limit
    [fired] = uc.list_alerts(service, "alice")
    assert (fired.id, fired.status, fired.triggered_price) == (alert.id, AlertStatus.TRIGGERED, D("92.00"))
