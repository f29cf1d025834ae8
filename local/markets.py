"""Trading sessions on the local platform: the banner's lines on which markets are open now, and the timer that
expires day orders at their session's close (a one-minute schedule does it in AWS)."""

from __future__ import annotations

import logging
import threading

from core import usecases as uc

log = logging.getLogger("parley.sessions")
SWEEP_SECONDS = 10.0
INDENT = " " * 12  # under the banner's values


def market_lines(deps: uc.Deps) -> str:
    """One line per market the catalog trades: open or closed now, and when that changes."""
    now = deps.now()
    sessions = deps.sessions
    if sessions.demo:
        return (
            "every market open at any hour: demo calendar (PARLEY_CALENDAR=always-open)\n"
            f"{INDENT}day orders still end at 00:00 UTC"
        )
    lines = []
    for group in sessions.open_markets(deps.catalog, now):
        status, calendar = group.status, group.status.calendar
        if calendar.around_the_clock:
            state = "open 24x7"
        elif status.open:
            state = f"open, closes {calendar.when(status.close)}"
        else:
            state = f"closed, opens {status.opens}"
        lines.append(f"{calendar.title} ({_symbols(group.symbols)}): {state}")
    lines.append("exchange hours; PARLEY_CALENDAR=always-open opens every market for a demo")
    return f"\n{INDENT}".join(lines)


def _symbols(symbols: tuple[str, ...], shown: int = 3) -> str:
    return ", ".join(symbols[:shown]) + (f" +{len(symbols) - shown}" if len(symbols) > shown else "")


class DayOrderSweeper:
    """A daemon thread that runs the day-order sweep (and records session closes) every ``interval`` seconds
    until stopped."""

    def __init__(self, deps: uc.Deps, interval: float = SWEEP_SECONDS) -> None:
        self.deps = deps
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="parley-day-orders", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def sweep(self) -> int:
        expired = uc.expire_day_orders(self.deps)
        uc.record_session_closes(self.deps)  # the prices tomorrow's P&L is measured from
        for order in expired:
            log.info("day order %s (%s) expired at its session's close", order.id, order.symbol)
        return len(expired)

    def _run(self) -> None:
        while True:
            try:
                self.sweep()
            except Exception:  # a store hiccup must not end the timer: the next round tries again
                log.exception("day-order sweep failed")
            if self._stop.wait(self.interval):
                return
