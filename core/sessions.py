"""Trading sessions: whether an instrument's market is open, when it opens next, and when the session a day
order belongs to closes.

Each instrument names its calendar in the catalog (``Instrument.calendar``): ``xnys`` (US equities,
09:30-16:00 New York time on NYSE trading days, with its holidays and early closes), ``cme_energy`` (CME
Globex energy, Sunday-Friday 18:00-17:00 New York time with the daily 17:00-18:00 break) and ``always``
(crypto, 24x7; its trading day, for day orders, is the UTC day). The NYSE days come from
core/data/calendars/xnys.json, generated from exchange_calendars at development time, so nothing but the
standard library is loaded on a cold start. Times go in and out as aware UTC datetimes; local times are
computed with zoneinfo, so daylight saving is the tz database's business.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from core.instruments import Instrument

NEW_YORK = ZoneInfo("America/New_York")
ALWAYS_OPEN = "always-open"  # the demo setting: every market trades at any hour (never the default)
EXCHANGE = "exchange"  # the default setting: each instrument keeps its exchange's hours
_DAY = timedelta(days=1)
_SEARCH_DAYS = 15  # the longest run of days without a session on any calendar here is 4 (a long weekend)
_CACHED_DAYS = 4096


@dataclass(frozen=True)
class Session:
    """One trading day's session, open inclusive, close exclusive, in UTC."""

    open: datetime
    close: datetime


class Calendar(ABC):
    """The sessions of one market. Subclasses say which session a trading day has; the rest follows."""

    name: str
    title: str  # what the market is called in a sentence: "US equities"
    hours: str  # when it trades, for a trader: "09:30-16:00 New York time"
    zone: ZoneInfo
    zone_label: str  # the zone's short name in a sentence: "ET"
    around_the_clock = False

    @abstractmethod
    def session_on(self, day: date) -> Session | None:
        """The session of trading day ``day`` (its date in the calendar's zone), or None when there is none."""

    def session_for(self, at: datetime) -> Session:
        """The session ``at`` is in, or the next one when the market is closed at ``at``."""
        day = at.astimezone(self.zone).date() - _DAY  # a session may open on the evening before its day
        for _ in range(_SEARCH_DAYS):
            session = self._cached(day)
            if session is not None and session.close > at:
                return session
            day += _DAY
        raise ValueError(f"no {self.name} session within {_SEARCH_DAYS} days of {at.isoformat()}")

    def _cached(self, day: date) -> Session | None:
        """``session_on``, remembered: every order asks about the same few days."""
        cache: dict[date, Session | None] = self.__dict__.setdefault("_sessions", {})
        if day not in cache:
            if len(cache) > _CACHED_DAYS:
                cache.clear()
            cache[day] = self.session_on(day)
        return cache[day]

    def is_open(self, at: datetime) -> bool:
        return self.session_for(at).open <= at

    def day_start(self, at: datetime) -> datetime:
        """When the trading day ``at`` is in began: the open of the latest session opened by ``at`` (after a
        close the day is still the one that closed, until the next open). Today's P&L is measured from it."""
        return self._latest(at, lambda session: session.open)

    def last_close(self, at: datetime) -> datetime:
        """The close of the latest session that had closed by ``at``."""
        return self._latest(at, lambda session: session.close)

    def _latest(self, at: datetime, edge: Callable[[Session], datetime]) -> datetime:
        day = at.astimezone(self.zone).date() + _DAY  # a session may open on the evening before its day
        for _ in range(_SEARCH_DAYS):
            session = self._cached(day)
            if session is not None and edge(session) <= at:
                return edge(session)
            day -= _DAY
        raise ValueError(f"no {self.name} session within {_SEARCH_DAYS} days before {at.isoformat()}")

    def next_open(self, at: datetime) -> datetime:
        """The open of the next session that has not begun by ``at``."""
        session = self.session_for(at)
        return session.open if session.open > at else self.session_for(session.close).open

    def session_close(self, at: datetime) -> datetime:
        """The close of the session ``at`` belongs to: the one in progress, or the next when the market is
        closed (an order placed after the close is an order for the next session, as at Alpaca and IB)."""
        return self.session_for(at).close

    def when(self, at: datetime) -> str:
        """``at`` as a trader reads it: "Monday 30 Nov at 09:30 ET (14:30 UTC)"."""
        local, utc = at.astimezone(self.zone), at.astimezone(UTC)
        text = f"{local:%A} {local.day} {local:%b} at {local:%H:%M} {self.zone_label}"
        if self.zone_label == "UTC":
            return text
        utc_day = f"{utc:%A} " if utc.date() != local.date() else ""
        return f"{text} ({utc_day}{utc:%H:%M} UTC)"


class ExchangeDays(Calendar):
    """Regular hours on the days an exchange trades, with its holidays, early closes and late opens. Beyond
    the years the data covers, every weekday is taken as a regular session."""

    def __init__(self, name: str, title: str, data: Mapping[str, Any], zone_label: str) -> None:
        self.name, self.title, self.zone_label = name, title, zone_label
        self.zone = ZoneInfo(data["zone"])
        self.open, self.close = time.fromisoformat(data["open"]), time.fromisoformat(data["close"])
        self.holidays = frozenset(date.fromisoformat(d) for d in data["holidays"])
        self.early_closes = {date.fromisoformat(d): time.fromisoformat(t) for d, t in data["early_closes"].items()}
        self.late_opens = {date.fromisoformat(d): time.fromisoformat(t) for d, t in data["late_opens"].items()}
        self.hours = f"{self.open:%H:%M}-{self.close:%H:%M} New York time on exchange trading days"

    def session_on(self, day: date) -> Session | None:
        if day.weekday() >= 5 or day in self.holidays:
            return None
        opens = self.late_opens.get(day, self.open)
        closes = self.early_closes.get(day, self.close)
        return Session(_utc(day, opens, self.zone), _utc(day, closes, self.zone))


class WeekNights(Calendar):
    """Sunday to Friday with a daily break: trading day D runs from ``opens`` on the evening before D to
    ``closes`` on D, Monday to Friday (CME Globex). Exchange holiday schedules are not modelled."""

    def __init__(self, name: str, title: str, opens: time, closes: time, zone: ZoneInfo, zone_label: str) -> None:
        self.name, self.title, self.zone, self.zone_label = name, title, zone, zone_label
        self.opens, self.closes = opens, closes
        self.hours = (
            f"Sunday-Friday {opens:%H:%M}-{closes:%H:%M} New York time, "
            f"with a daily break {closes:%H:%M}-{opens:%H:%M}"
        )

    def session_on(self, day: date) -> Session | None:
        if day.weekday() >= 5:
            return None
        return Session(_utc(day - _DAY, self.opens, self.zone), _utc(day, self.closes, self.zone))


class AroundTheClock(Calendar):
    """Open at every moment; its trading day (when a day order ends) is the UTC calendar day."""

    zone = ZoneInfo("UTC")
    zone_label = "UTC"
    around_the_clock = True

    def __init__(self, name: str, title: str) -> None:
        self.name, self.title = name, title
        self.hours = "24 hours a day, 7 days a week"

    def session_on(self, day: date) -> Session | None:
        start = datetime.combine(day, time(0), UTC)
        return Session(start, start + _DAY)

    def is_open(self, at: datetime) -> bool:
        return True


@dataclass(frozen=True)
class MarketStatus:
    """A calendar's state at one moment, as the risk gate and the local banner show it."""

    calendar: Calendar
    at: datetime
    open: bool
    next_open: datetime
    close: datetime  # the close of the session ``at`` belongs to

    @property
    def opens(self) -> str:
        return self.calendar.when(self.next_open)


@dataclass(frozen=True)
class MarketGroup:
    """The instruments one calendar governs, and its state now."""

    status: MarketStatus
    symbols: tuple[str, ...]


class Sessions:
    """The calendars instruments name, by name. ``exchange()`` is the real thing; ``always_open()`` the demo
    setting, which keeps every market open so the local platform can be tried at any hour."""

    def __init__(self, calendars: Mapping[str, Calendar], setting: str = EXCHANGE) -> None:
        self._calendars = dict(calendars)
        self.setting = setting

    @classmethod
    def exchange(cls) -> Sessions:
        return _exchange()

    @classmethod
    def always_open(cls) -> Sessions:
        crypto = AroundTheClock("always", "every market (demo calendar)")
        return cls(dict.fromkeys(_exchange().names, crypto), setting=ALWAYS_OPEN)

    @classmethod
    def named(cls, setting: str) -> Sessions:
        """The sessions for a configuration value: ``exchange`` or ``always-open``."""
        if setting == EXCHANGE:
            return cls.exchange()
        if setting == ALWAYS_OPEN:
            return cls.always_open()
        raise ValueError(f"unknown calendar setting {setting!r}: use {EXCHANGE!r} or {ALWAYS_OPEN!r}")

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._calendars)

    @property
    def demo(self) -> bool:
        return self.setting == ALWAYS_OPEN

    def calendar(self, instrument: Instrument) -> Calendar:
        try:
            return self._calendars[instrument.calendar]
        except KeyError:
            raise ValueError(f"{instrument.symbol} names an unknown trading calendar {instrument.calendar!r}") from None

    def is_open(self, instrument: Instrument, at: datetime) -> bool:
        return self.calendar(instrument).is_open(at)

    def next_open(self, instrument: Instrument, at: datetime) -> datetime:
        return self.calendar(instrument).next_open(at)

    def session_close(self, instrument: Instrument, at: datetime) -> datetime:
        return self.calendar(instrument).session_close(at)

    def day_start(self, instrument: Instrument, at: datetime) -> datetime:
        return self.calendar(instrument).day_start(at)

    def last_close(self, instrument: Instrument, at: datetime) -> datetime:
        return self.calendar(instrument).last_close(at)

    def status(self, instrument: Instrument, at: datetime) -> MarketStatus:
        return _status(self.calendar(instrument), at)

    def open_markets(self, instruments: Iterable[Instrument], at: datetime) -> list[MarketGroup]:
        """Each calendar the instruments use, with its state at ``at`` and its symbols, in catalog order."""
        symbols: dict[str, list[str]] = {}
        for instrument in instruments:
            symbols.setdefault(self.calendar(instrument).name, []).append(instrument.symbol)
        by_name = {c.name: c for c in self._calendars.values()}
        return [MarketGroup(_status(by_name[name], at), tuple(found)) for name, found in symbols.items()]


def _status(calendar: Calendar, at: datetime) -> MarketStatus:
    session = calendar.session_for(at)
    return MarketStatus(calendar, at, session.open <= at, calendar.next_open(at), session.close)


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, zone).astimezone(UTC)


@cache
def _exchange() -> Sessions:
    raw = json.loads(resources.files("core").joinpath("data/calendars/xnys.json").read_text())
    calendars: list[Calendar] = [
        ExchangeDays("xnys", "US equities", raw, "ET"),
        WeekNights("cme_energy", "CME energy futures", time(18), time(17), NEW_YORK, "ET"),
        AroundTheClock("always", "crypto"),
    ]
    return Sessions({c.name: c for c in calendars})
