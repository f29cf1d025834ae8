"""A batch of stream records, applied: the use case behind the Kinesis and MSK consumers.

Market prices are folded per symbol first (its low, high and latest tick) and applied in one unit per symbol:
one quote write however many ticks the batch held, and alerts crossed anywhere on the path. Other events go
in record order, each in its own unit. Every effect is keyed (a quote by its time, a fill by its id, a status
by the order's state, a notification or an audit record by the envelope id), so a redelivered record, or the
same record twice, changes nothing. What a record could not do because the store failed is reported by its
position in the batch, for the consumer to hand back as a batch item failure.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from core.envelope import Envelope, EventType
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, ParleyError, StaleQuote, StoreError
from core.events import (
    Malformed,
    OrderUpdate,
    Skip,
    SystemEvent,
    Tick,
    TradeFill,
    WebhookEvent,
    read_data,
    read_tick,
)
from core.market import Quote
from core.usecases import signals, stream_events
from core.usecases.alert_engine import AlertEngine
from core.usecases.deps import Deps
from core.usecases.market import apply_quote

log = logging.getLogger("parley.streams")
ATTEMPTS = 3  # a unit that loses a race with a duplicate of itself is tried again, and then finds it done
T = TypeVar("T")


@dataclass
class Record:
    """A decoded record and its position in the batch."""

    position: int
    envelope: Envelope


@dataclass
class BatchReport:
    processed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: set[int] = field(default_factory=set)  # positions to retry
    alerts_fired: int = 0
    orders_triggered: int = 0

    def skip(self, reason: Skip, count: int = 1) -> None:
        self.skipped[reason.value] += count

    def merge(self, other: BatchReport) -> None:
        self.processed += other.processed
        self.skipped.update(other.skipped)
        self.failed |= other.failed
        self.alerts_fired += other.alerts_fired
        self.orders_triggered += other.orders_triggered


@dataclass
class _Path:
    """One symbol's ticks in a batch: its extremes and its latest tick (and latest book)."""

    positions: list[int]
    low: Decimal
    high: Decimal
    latest: Tick
    book: Tick | None

    def add(self, position: int, tick: Tick) -> None:
        self.positions.append(position)
        self.low = min(self.low, tick.mark)
        self.high = max(self.high, tick.mark)
        if tick.time >= self.latest.time:
            self.latest = tick
        if tick.bid is not None and (self.book is None or tick.time >= self.book.time):
            self.book = tick

    def quote(self, source: str) -> Quote:
        """The latest tick as a quote. A tick with no book takes the batch's latest book, or, with none, a
        zero-width book at its price: the trade stands for both sides."""
        tick = self.latest
        book = tick if tick.bid is not None else self.book
        bid, ask = (book.bid, book.ask) if book is not None else (tick.mark, tick.mark)
        sizes = (book.bid_size, book.ask_size) if book is not None else (None, None)
        return Quote(symbol=tick.symbol, bid=bid, ask=ask, last=tick.last, bid_size=sizes[0], ask_size=sizes[1],
                     time=tick.time, source=source)


def ingest(
    deps: Deps, engine: AlertEngine, records: list[Record], read_order: signals.OrderReader | None = None
) -> BatchReport:
    report = BatchReport()
    paths: dict[str, _Path] = {}
    sources: dict[str, str] = {}
    others: list[Record] = []
    seen: set[str] = set()
    for record in records:
        envelope = record.envelope
        if envelope.id in seen:
            report.skip(Skip.DUPLICATE)
            continue
        seen.add(envelope.id)
        kind = envelope.known_type
        if kind is None:
            report.skip(Skip.UNKNOWN_TYPE)
        elif kind in (EventType.MARKET_QUOTE, EventType.MARKET_TRADE):
            try:
                tick = read_tick(envelope, deps.catalog)
            except Malformed as bad:
                report.skip(bad.reason)
                continue
            path = paths.get(tick.symbol)
            if path is None:
                book = tick if tick.bid is not None else None
                paths[tick.symbol] = _Path([record.position], tick.mark, tick.mark, tick, book)
            else:
                path.add(record.position, tick)
            sources[tick.symbol] = envelope.source
        else:
            others.append(record)
    if paths:
        report.merge(_market(deps, engine, paths, sources))
    for record in others:
        report.merge(_other(deps, record, read_order))
    return report


def _market(deps: Deps, engine: AlertEngine, paths: dict[str, _Path], sources: dict[str, str]) -> BatchReport:
    report = BatchReport()
    try:
        engine.refresh(deps, list(paths))
    except StoreError:
        log.warning("store unavailable for the alert index; %d symbols to retry", len(paths))
        report.failed.update(p for path in paths.values() for p in path.positions)
        return report
    for symbol, path in paths.items():
        try:
            outcome = _retried(lambda p=path, s=symbol: apply_quote(deps, engine, p.quote(sources[s]), p.low, p.high))
        except (StoreError, ConcurrentUpdate) as exc:
            log.warning("quote for %s not applied (%s); its records will be retried", symbol, type(exc).__name__)
            report.failed.update(path.positions)
            continue
        if outcome.stale:
            report.skip(Skip.STALE, len(path.positions))
            continue
        report.processed += len(path.positions)
        report.alerts_fired += len(outcome.fired)
        report.orders_triggered += len(outcome.changed)
    return report


def _other(deps: Deps, record: Record, read_order: signals.OrderReader | None) -> BatchReport:
    """One non-market record, in its own unit(s); what it changed, or why it changed nothing."""
    report = BatchReport()
    envelope = record.envelope
    try:
        match envelope.known_type:
            case EventType.TRADE_FILL:
                done = _retried(lambda: stream_events.trade_fill(deps, envelope, read_data(TradeFill, envelope)))
            case EventType.ORDER_UPDATE:
                done = _retried(lambda: stream_events.order_update(deps, envelope, read_data(OrderUpdate, envelope)))
            case EventType.SYSTEM_ALERT | EventType.COMPLIANCE_EVENT:
                done = _retried(lambda: stream_events.system_event(deps, envelope, read_data(SystemEvent, envelope)))
            case EventType.WEBHOOK_EVENT if read_order is not None:
                event = read_data(WebhookEvent, envelope)
                done = _retried(lambda: signals.handle(deps, envelope, event, read_order))
            case _:
                report.skip(Skip.UNKNOWN_TYPE)
                return report
    except Malformed as bad:
        report.skip(bad.reason)
    except (StoreError, ConcurrentUpdate) as exc:
        log.warning("%s record not applied (%s); it will be retried", envelope.type, type(exc).__name__)
        report.failed.add(record.position)
    except (AlreadyExists, StaleQuote):
        report.skip(Skip.DUPLICATE)
    except NotFound:
        report.skip(Skip.UNKNOWN_ORDER)
    except ParleyError as refused:
        log.info("%s record refused: %s", envelope.type, refused.code)
        report.skip(Skip.REFUSED)
    else:
        if done:
            report.processed += 1
        else:
            report.skip(Skip.DUPLICATE)
    return report


def _retried(action: Callable[[], T]) -> T:
    for attempt in range(ATTEMPTS):
        try:
            return action()
        except ConcurrentUpdate:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def apply_batch(deps: Deps, engine: AlertEngine, envelopes: list[Envelope]) -> BatchReport:
    """``ingest`` for envelopes already in hand (a replay, a test), positions in list order."""
    return ingest(deps, engine, [Record(i, e) for i, e in enumerate(envelopes)])
