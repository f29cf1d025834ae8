"""Trading calendars: NYSE hours with its holidays and early closes, CME energy's week with its daily break,
crypto around the clock, and daylight saving, all in UTC in and out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.instruments import InstrumentCatalog
from core.sessions import ALWAYS_OPEN, Sessions

CATALOG = InstrumentCatalog.default()
AAPL, CL, BTC = CATALOG.get("AAPL"), CATALOG.get("CL"), CATALOG.get("BTC-USD")
SESSIONS = Sessions.exchange()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(("at", "is_open"), [
    (utc(2026, 11, 30, 14, 29), False),  # Monday 09:29 New York (EST, UTC-5)
    (utc(2026, 11, 30, 14, 30), True),  # 09:30: the open is inside the session
    (utc(2026, 11, 30, 20, 59), True),
    (utc(2026, 11, 30, 21, 0), False),  # 16:00: the close is not
    (utc(2026, 11, 28, 15, 0), False),  # Saturday
    (utc(2026, 11, 29, 15, 0), False),  # Sunday
])
def test_us_equities_trade_0930_to_1600_new_york_time_on_weekdays(at, is_open) -> None:
    assert SESSIONS.is_open(AAPL, at) is is_open


def test_the_day_after_thanksgiving_closes_early_at_1300_new_york_time() -> None:
    assert SESSIONS.is_open(AAPL, utc(2026, 11, 27, 17, 59))
    assert not SESSIONS.is_open(AAPL, utc(2026, 11, 27, 18, 0))  # 13:00 EST
    assert SESSIONS.session_close(AAPL, utc(2026, 11, 27, 15, 0)) == utc(2026, 11, 27, 18, 0)
    assert SESSIONS.session_close(AAPL, utc(2026, 12, 24, 15, 0)) == utc(2026, 12, 24, 18, 0)  # Christmas Eve


def test_exchange_holidays_have_no_session() -> None:
    for holiday in (utc(2026, 11, 26, 16), utc(2026, 12, 25, 16), utc(2026, 4, 3, 16), utc(2026, 6, 19, 16),
                    utc(2025, 1, 9, 16)):  # Thanksgiving, Christmas, Good Friday, Juneteenth, a day of mourning
        assert not SESSIONS.is_open(AAPL, holiday), holiday
    # Wednesday evening before Thanksgiving: the next open skips Thursday
    assert SESSIONS.next_open(AAPL, utc(2026, 11, 25, 22, 0)) == utc(2026, 11, 27, 14, 30)
    # After Christmas Eve's early close, Christmas Day is skipped too
    assert SESSIONS.next_open(AAPL, utc(2026, 12, 24, 18, 0)) == utc(2026, 12, 28, 14, 30)


def test_daylight_saving_moves_the_session_in_utc_but_not_in_new_york() -> None:
    # Summer (EDT, UTC-4): 09:30 New York is 13:30 UTC
    assert SESSIONS.is_open(AAPL, utc(2026, 7, 1, 13, 30)) and not SESSIONS.is_open(AAPL, utc(2026, 7, 1, 13, 29))
    assert SESSIONS.session_close(AAPL, utc(2026, 7, 1, 15)) == utc(2026, 7, 1, 20, 0)
    # Across the spring change (Sunday 8 March 2026): Friday closes at 21:00 UTC, Monday opens at 13:30 UTC
    assert SESSIONS.session_close(AAPL, utc(2026, 3, 6, 15)) == utc(2026, 3, 6, 21, 0)
    assert SESSIONS.next_open(AAPL, utc(2026, 3, 7, 12)) == utc(2026, 3, 9, 13, 30)
    # CME's Sunday evening open on the autumn change (1 November 2026) is 18:00 EST = 23:00 UTC
    assert SESSIONS.next_open(CL, utc(2026, 10, 31, 12)) == utc(2026, 11, 1, 23, 0)


@pytest.mark.parametrize(("at", "is_open"), [
    (utc(2026, 11, 29, 22, 59), False),  # Sunday 17:59 New York
    (utc(2026, 11, 29, 23, 0), True),  # Sunday 18:00: the week opens
    (utc(2026, 12, 1, 21, 59), True),  # Tuesday 16:59
    (utc(2026, 12, 1, 22, 0), False),  # 17:00: the daily break
    (utc(2026, 12, 1, 22, 59), False),
    (utc(2026, 12, 1, 23, 0), True),  # 18:00: the next trading day
    (utc(2026, 12, 4, 21, 59), True),  # Friday 16:59
    (utc(2026, 12, 4, 22, 0), False),  # Friday 17:00: closed for the weekend
    (utc(2026, 12, 5, 15, 0), False),  # Saturday
])
def test_cme_energy_trades_sunday_to_friday_18_00_to_17_00_with_a_daily_break(at, is_open) -> None:
    assert SESSIONS.is_open(CL, at) is is_open


def test_a_cme_session_belongs_to_the_trading_day_it_closes_on() -> None:
    # Tuesday 19:00 New York is Wednesday's session, which closes Wednesday 17:00
    assert SESSIONS.session_close(CL, utc(2026, 12, 2, 0, 0)) == utc(2026, 12, 2, 22, 0)
    # In the break, the next session opens at 18:00
    assert SESSIONS.next_open(CL, utc(2026, 12, 1, 22, 30)) == utc(2026, 12, 1, 23, 0)
    # Friday after the close: Sunday 18:00
    assert SESSIONS.next_open(CL, utc(2026, 12, 4, 22, 0)) == utc(2026, 12, 6, 23, 0)


def test_crypto_is_always_open_and_its_trading_day_is_the_utc_day() -> None:
    for at in (utc(2026, 11, 28, 3), utc(2026, 11, 29, 23, 59), utc(2026, 12, 25, 12)):
        assert SESSIONS.is_open(BTC, at)
    assert SESSIONS.session_close(BTC, utc(2026, 11, 28, 15)) == utc(2026, 11, 29, 0, 0)


def test_a_closed_market_belongs_to_its_next_session() -> None:
    """An order placed on Saturday is an order for Monday's session."""
    assert SESSIONS.session_close(AAPL, utc(2026, 11, 28, 15)) == utc(2026, 11, 30, 21, 0)


def test_the_status_says_when_the_market_opens_in_new_york_and_utc() -> None:
    status = SESSIONS.status(AAPL, utc(2026, 11, 28, 15))
    assert not status.open
    assert status.opens == "Monday 30 Nov at 09:30 ET (14:30 UTC)"
    sunday = SESSIONS.status(CL, utc(2026, 11, 28, 15))
    assert sunday.opens == "Sunday 29 Nov at 18:00 ET (23:00 UTC)"


def test_open_markets_groups_the_catalog_by_calendar() -> None:
    saturday = {g.status.calendar.name: g for g in SESSIONS.open_markets(CATALOG, utc(2026, 11, 28, 15))}
    assert sorted(saturday) == ["always", "cme_energy", "xnys"]
    assert saturday["always"].status.open and set(saturday["always"].symbols) == {"BTC-USD", "ETH-USD"}
    assert not saturday["xnys"].status.open and "AAPL" in saturday["xnys"].symbols
    assert not saturday["cme_energy"].status.open and "CL" in saturday["cme_energy"].symbols


def test_the_demo_setting_opens_every_market_at_any_hour_and_is_never_the_default() -> None:
    demo = Sessions.named(ALWAYS_OPEN)
    assert demo.demo and not Sessions.named("exchange").demo
    for instrument in (AAPL, CL, BTC):
        assert demo.is_open(instrument, utc(2026, 11, 28, 15))
    with pytest.raises(ValueError, match="unknown calendar setting"):
        Sessions.named("weekends")


def test_every_instrument_names_a_known_calendar() -> None:
    expected = {"equity": "xnys", "future": "cme_energy", "crypto": "always"}
    for instrument in CATALOG:
        assert instrument.calendar == expected[instrument.asset_class.value], instrument.symbol
        assert SESSIONS.calendar(instrument).name == instrument.calendar
        assert instrument.trades_24x7 is (instrument.calendar == "always"), instrument.symbol
