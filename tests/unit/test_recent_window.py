"""How far back the gate reads an account's orders: only as far as the account's own limits look, so an account
with neither an order-rate limit nor a duplicate window is judged without reading a crowd's last minute."""

from __future__ import annotations

from datetime import timedelta

from core.usecases.trading.risk_gate import recent_window
from tests.unit.risk_support import account


def test_an_account_with_an_order_rate_limit_is_judged_on_its_last_minute() -> None:
    assert recent_window(account(max_orders_per_minute=60, duplicate_window_seconds=5)) == timedelta(seconds=60)


def test_an_account_without_a_rate_limit_looks_back_only_over_its_duplicate_window() -> None:
    assert recent_window(account(max_orders_per_minute=None, duplicate_window_seconds=5)) == timedelta(seconds=5)
    assert recent_window(account(max_orders_per_minute=None, duplicate_window_seconds=0)) == timedelta(0)


def test_a_longer_window_asked_by_the_caller_or_the_duplicate_limit_wins() -> None:
    assert recent_window(account(max_orders_per_minute=60, duplicate_window_seconds=300)) == timedelta(seconds=300)
    ticket = timedelta(minutes=5)
    assert recent_window(account(max_orders_per_minute=None, duplicate_window_seconds=0), ticket) == ticket
