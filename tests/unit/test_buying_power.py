"""Buying power: cash accounts spend their cash, margin accounts their equity at 50% on equities, futures
their initial margin, crypto always cash; today's loss is equity now against the day's first valuation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.accounts import Account, AccountKind
from core.errors import RiskRejected
from core.orders import OrderStatus
from core.risk_limits import RiskLimits
from tests.support import order, tick

OPEN = RiskLimits(max_order_notional=None, max_gross_exposure=None, max_position_quantity=None,
                  max_order_quantity=None, daily_loss_limit=None, duplicate_window_seconds=0)


def open_account(service, name: str, kind: AccountKind, cash: str) -> Account:
    account = uc.create_account(service, name, starting_cash=D(cash))
    stored = service.store.accounts.get(name)
    service.store.accounts.update(stored.model_copy(update={"kind": kind}))
    uc.set_limits(service, uc.get_account(service, "ops"), name, OPEN)
    return account


def reasons(refused: pytest.ExceptionInfo) -> list[str]:
    return [r["code"] for r in refused.value.details["reasons"]]


def test_a_cash_account_buys_up_to_its_cash_and_never_sells_short(service, clock) -> None:
    open_account(service, "carol", AccountKind.CASH, "10000")
    tick(service, clock, "AAPL", "99.98", "100.00")
    assert uc.place_order(service, "carol", order("AAPL", "buy", "60")).status is OrderStatus.FILLED
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "carol", order("AAPL", "buy", "41"))  # 4,100 wanted, 4,000 left
    assert reasons(refused) == ["insufficient_buying_power"]
    assert "4,100.00 USD" in refused.value.message and "4,000.00 USD available" in refused.value.message
    with pytest.raises(RiskRejected) as short:
        uc.place_order(service, "carol", order("AAPL", "sell", "61"))
    assert "insufficient_qty_available" in reasons(short)  # 60 held, all of it available, 61 asked
    assert uc.portfolio(service, "carol").buying_power == D("4000.00")


def test_a_margin_account_buys_twice_its_equity_in_stocks(service, clock) -> None:
    open_account(service, "mary", AccountKind.MARGIN, "10000")
    tick(service, clock, "AAPL", "99.98", "100.00")
    assert uc.portfolio(service, "mary").buying_power == D("20000")
    assert uc.place_order(service, "mary", order("AAPL", "buy", "150")).status is OrderStatus.FILLED
    book = uc.portfolio(service, "mary")
    # marked at the mid 99.99: 14,998.50 held, half of it margin; equity 9,998.50; 2,499.25 left, bought twice
    assert (book.margin_used, book.equity, book.buying_power) == (D("7499.25"), D("9998.50"), D("4998.50"))
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "mary", order("AAPL", "buy", "60"))
    assert reasons(refused) == ["insufficient_buying_power"]


def test_a_future_ties_up_its_initial_margin_a_contract(service, clock) -> None:
    open_account(service, "fred", AccountKind.MARGIN, "15000")
    tick(service, clock, "CL", "70.00", "70.02")
    assert uc.place_order(service, "fred", order("CL", "buy", "2")).status is OrderStatus.FILLED
    assert uc.portfolio(service, "fred").margin_used == D("12000")
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "fred", order("CL", "buy", "1"))
    assert "6,000.00 USD initial margin a contract" in refused.value.message


def test_working_orders_tie_up_buying_power_too(service, clock) -> None:
    open_account(service, "carl", AccountKind.CASH, "10000")
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "carl", order("AAPL", "buy", "90", order_type="limit", limit_price="95.00"))
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "carl", order("AAPL", "buy", "20", order_type="limit", limit_price="95.00"))
    assert reasons(refused) == ["insufficient_buying_power"]


def test_the_daily_loss_limit_measures_today_not_the_loss_since_entry(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "1000"))
    tick(service, clock, "AAPL", "79.98", "80.00")  # down 20,000 since entry, on the day it was bought
    clock.advance(hours=3, minutes=1)  # past Friday's early close (13:00 New York): the sweep records it
    assert [close.symbol for close in uc.record_session_closes(service)] == ["AAPL"]
    clock.advance(days=3)  # Monday 10:00 New York: AAPL's new trading day
    tick(service, clock, "AAPL", "79.98", "80.00")
    limits = RiskLimits(daily_loss_limit=D(5000), duplicate_window_seconds=0)
    uc.set_limits(service, uc.get_account(service, "ops"), "alice", limits)
    assert uc.place_order(service, "alice", order("MSFT", "buy", "1", order_type="limit", limit_price="1.00"))
    tick(service, clock, "AAPL", "73.98", "74.00")  # today: down 6,000 from Friday's close
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "alice", order("MSFT", "buy", "1", order_type="limit", limit_price="1.00"))
    assert "daily_loss_limit" in reasons(refused)
    assert uc.portfolio(service, "alice").day_pnl == D("-6000.00")
