"""The local platform and trading sessions: the banner says which markets are open now (or that the demo
calendar keeps them all open), and a timer expires day orders with no quote."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.market import Quote
from core.orders import OrderRequest, OrderStatus, Side
from infra.bootstrap import build_platform
from infra.settings import Settings
from infra.stores import open_store
from local.markets import DayOrderSweeper
from local.server import banner
from tests.support import Clock

SATURDAY = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def platform_at(tmp_path, at: datetime, calendar: str = "exchange"):
    clock = Clock()
    clock.now = at
    platform = build_platform(Settings(home=tmp_path, feed="off", calendar=calendar), store=open_store("memory://"),
                              secret="s" * 40, clock=clock)
    uc.ensure_account(platform.deps, platform.settings.demo_account)
    return platform, clock


def markets(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  Markets   "))
    return [lines[start][12:]] + [line[12:] for line in lines[start + 1:] if line.startswith(" " * 12)]


def test_the_banner_says_which_markets_are_open_now_and_when_the_others_open(tmp_path) -> None:
    platform, _ = platform_at(tmp_path, SATURDAY)
    assert markets(banner(platform, "127.0.0.1", 8000, None)) == [
        "US equities (AAPL, MSFT, AMZN +8): closed, opens Monday 30 Nov at 09:30 ET (14:30 UTC)",
        "CME energy futures (CL, BZ, NG +2): closed, opens Sunday 29 Nov at 18:00 ET (23:00 UTC)",
        "crypto (BTC-USD, ETH-USD): open 24x7",
        "exchange hours; PARLEY_CALENDAR=always-open opens every market for a demo",
    ]
    friday, _ = platform_at(tmp_path, datetime(2026, 11, 27, 15, 0, tzinfo=UTC))  # the early close
    assert markets(banner(friday, "127.0.0.1", 8000, None))[0] == (
        "US equities (AAPL, MSFT, AMZN +8): open, closes Friday 27 Nov at 13:00 ET (18:00 UTC)"
    )


def test_the_banner_shows_the_demo_calendar_when_it_is_on(tmp_path) -> None:
    platform, _ = platform_at(tmp_path, SATURDAY, calendar="always-open")
    assert markets(banner(platform, "127.0.0.1", 8000, None)) == [
        "every market open at any hour: demo calendar (PARLEY_CALENDAR=always-open)",
        "day orders still end at 00:00 UTC",
    ]


def test_the_calendar_setting_is_read_from_the_environment_and_defaults_to_exchange_hours() -> None:
    assert Settings.from_env({}).calendar == "exchange"
    assert Settings.from_env({"PARLEY_CALENDAR": "always-open"}).calendar == "always-open"
    with pytest.raises(ValueError, match="calendar"):
        Settings.from_env({"PARLEY_CALENDAR": "weekends"})


def test_the_timer_expires_a_day_order_at_the_close_with_no_quote(tmp_path) -> None:
    platform, clock = platform_at(tmp_path, datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    deps = platform.deps
    uc.on_quote(deps, Quote(symbol="AAPL", bid=D("229.90"), ask=D("230.10"), time=clock.now))
    day = uc.place_order(deps, "demo", OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(1), order_type="limit",
                                                    limit_price=D("200.00")))
    clock.now = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    sweeper = DayOrderSweeper(deps, interval=0.05)
    sweeper.start()
    try:
        deadline = time.monotonic() + 5
        while deps.store.orders.get(day.id).status is not OrderStatus.EXPIRED and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sweeper.stop()
    assert deps.store.orders.get(day.id).status is OrderStatus.EXPIRED
    assert sweeper.sweep() == 0
