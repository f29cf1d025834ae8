"""The alert index: a stream consumer's in-memory copy of the active alerts, arranged so that a batch finds the
alerts its prices crossed in O(log n + k), from the batch's low and high, without reading or scanning them.

Per symbol, price alerts are kept as sorted price levels: a level to rise to (``above``, the upper edge of a
percent move from a fixed price) is crossed by every batch whose high reaches it, which is a prefix of the
ascending list; a level to fall to is crossed by every batch whose low reaches it, a suffix. Percent moves
within a window are sorted by percent per window length and compared with the move the recent path shows.
Position alerts (P&L, risk usage) cannot be placed on a price line, since a fill moves their level; each
batch on their symbol hands them all over, to be decided against the stored position.

The index only holds copies: the engine (core/usecases/market/alert_engine.py) re-reads an alert before it fires it,
and says in its docstring how the copies learn of alerts added and removed elsewhere.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from decimal import Decimal

from core.alerts import Alert, AlertChange
from core.levels import Book, Levels, LoggedIndex

MAX_PATH = 100_000  # batches of price path kept per symbol for windowed moves (bounded memory)


class _Symbol(Book[Alert]):
    """One symbol's alerts and its recent price path."""

    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}
        self.rises = Levels()
        self.falls = Levels()
        self.windows: dict[int, Levels] = {}  # window seconds -> percent thresholds
        self.position: dict[str, Alert] = {}
        self.path: deque[tuple[datetime, Decimal, Decimal]] = deque(maxlen=MAX_PATH)

    def add(self, alert: Alert) -> None:
        self.alerts[alert.id] = alert
        if alert.condition.is_position:
            self.position[alert.id] = alert
        elif alert.window_seconds is not None:
            self.windows.setdefault(alert.window_seconds, Levels()).add(alert.threshold, alert.id)
        else:
            rise, fall = alert.price_levels()
            if rise is not None:
                self.rises.add(rise, alert.id)
            if fall is not None:
                self.falls.add(fall, alert.id)

    def remove(self, alert_id: str) -> None:
        alert = self.alerts.pop(alert_id, None)
        if alert is None:
            return
        self.position.pop(alert_id, None)
        if alert.window_seconds is not None:
            levels = self.windows[alert.window_seconds]
            levels.remove(alert.threshold, alert_id)
            if not levels:
                del self.windows[alert.window_seconds]
            return
        rise, fall = alert.price_levels()
        if rise is not None:
            self.rises.remove(rise, alert_id)
        if fall is not None:
            self.falls.remove(fall, alert_id)

    def move_percent(self, window: int, now: datetime) -> Decimal:
        """The path's range over the last ``window`` seconds, as a percent of its low."""
        since = now - timedelta(seconds=window)
        low = high = None
        for time, path_low, path_high in reversed(self.path):
            if time < since:
                break
            low = path_low if low is None or path_low < low else low
            high = path_high if high is None or path_high > high else high
        if low is None or high is None or low <= 0:
            return Decimal(0)
        return (high - low) / low * 100

    def get(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)

    def __len__(self) -> int:
        return len(self.alerts)


class AlertIndex(LoggedIndex[Alert, _Symbol]):
    """Active alerts by symbol. ``cursor`` is the last change-log entry applied (None before the first)."""

    def _book(self) -> _Symbol:
        return _Symbol()

    def _keeps(self, alert: Alert) -> bool:
        return alert.is_active

    def apply(self, changes: list[AlertChange], now: datetime) -> None:
        """Apply change-log entries in order and move the cursor past them."""
        self.apply_log(((change.seq, change.time, change.alert) for change in changes), now)

    def record_path(self, symbol: str, time: datetime, low: Decimal, high: Decimal) -> None:
        book = self._symbols.get(symbol)
        if book is not None and book.windows:
            book.path.append((time, low, high))

    def candidates(self, symbol: str, low: Decimal, high: Decimal, now: datetime) -> list[Alert]:
        """The alerts of ``symbol`` a path from ``low`` to ``high`` (ending ``now``) may meet: every price
        alert it crossed and every position alert; alerts cooling down after their last firing are left out."""
        book = self._symbols.get(symbol)
        if book is None:
            return []
        found = dict.fromkeys(book.rises.up_to(high))
        found.update(dict.fromkeys(book.falls.from_(low)))
        for window, levels in book.windows.items():
            found.update(dict.fromkeys(levels.up_to(book.move_percent(window, now))))
        found.update(dict.fromkeys(book.position))
        alerts = (book.alerts[alert_id] for alert_id in found)
        return [alert for alert in alerts if not (alert.repeat and alert.cooling_down(now))]

    def move_percent(self, symbol: str, window: int, now: datetime) -> Decimal:
        book = self._symbols.get(symbol)
        return book.move_percent(window, now) if book is not None else Decimal(0)

