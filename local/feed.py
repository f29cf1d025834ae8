"""Replays a JSONL file of market.quote envelopes into the trading service, standing in for Kinesis/MSK.

Quotes are re-stamped with the current time (keeping the file's spacing, divided by ``speed``) so the
risk gate sees them as fresh. At the end of the file the replay runs backwards, then forwards again:
prices stay continuous instead of jumping back to the first line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from core.envelope import Envelope, EventType
from core.errors import ParleyError
from core.market import Quote
from core.orders import utcnow

log = logging.getLogger("parley.feed")
SHIPPED_FEED = Path(__file__).parent / "feeds" / "demo-quotes.jsonl"


def feed_path(setting: str) -> Path | None:
    """The feed PARLEY_FEED names: "off" for none, empty for the shipped demo feed, else a file path."""
    if setting.strip().lower() == "off":
        return None
    return Path(setting) if setting.strip() else SHIPPED_FEED


def load_quotes(path: Path) -> list[tuple[datetime, dict]]:
    """(file time, quote fields) for every market.quote line; other types are skipped."""
    quotes = []
    with path.open() as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                envelope = Envelope.model_validate_json(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not a stream envelope: {exc}") from exc
            if envelope.known_type is EventType.MARKET_QUOTE:
                quotes.append((envelope.time, envelope.data))
    if not quotes:
        raise ValueError(f"{path} holds no market.quote records")
    return quotes


def ping_pong(items: list) -> Iterator[tuple[int, object]]:
    """Indexes forward, then backward, forever: 0..n-1, n-2..0, 1..n-1, ..."""
    forward = True
    index = 0
    while True:
        yield index, items[index]
        if len(items) == 1:
            continue
        if forward and index == len(items) - 1:
            forward = False
        elif not forward and index == 0:
            forward = True
        index += 1 if forward else -1


class FeedReplayer:
    def __init__(
        self,
        path: Path,
        on_quote: Callable[[Quote], object],
        *,
        speed: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.quotes = load_quotes(path)
        self.on_quote = on_quote
        self.speed = speed
        self.clock = clock
        self.published = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def prime(self) -> None:
        """Publish the first quote of every symbol at once, so market orders can fill from the start."""
        seen: set[str] = set()
        for _, data in self.quotes:
            if data["symbol"] not in seen:
                seen.add(data["symbol"])
                self._publish(data)

    def run(self, max_quotes: int | None = None) -> None:
        previous: datetime | None = None
        for count, (_, (file_time, data)) in enumerate(ping_pong(self.quotes)):
            if self._stop.is_set() or (max_quotes is not None and count >= max_quotes):
                return
            if previous is not None:
                gap = abs((file_time - previous).total_seconds()) / self.speed
                if gap and self._stop.wait(gap):
                    return
            previous = file_time
            self._publish(data)

    def start(self) -> None:
        self.prime()
        self._thread = threading.Thread(target=self.run, name="feed-replay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _publish(self, data: dict) -> None:
        try:
            self.on_quote(Quote.model_validate({**data, "time": self.clock(), "source": "replay"}))
            self.published += 1
        except (ParleyError, ValueError) as exc:
            log.warning("skipped a feed quote: %s", exc)
        except Exception:  # the replay thread must outlive one bad booking; the trace goes to the log
            log.exception("feed quote failed")
