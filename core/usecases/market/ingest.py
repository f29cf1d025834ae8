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
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter

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
from core.usecases.common.deps import Deps
from core.usecases.common.retry import on_conflict  # a unit that loses a race with a duplicate of itself finds it done
from core.usecases.market import order_events as stream_events
from core.usecases.market import signals
from core.usecases.market.alert_engine import AlertEngine, PricePath
from core.usecases.market.quotes import apply_quote

log = logging.getLogger("parley.streams")
_KINDS = {kind.value: kind for kind in EventType}


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


class _Path:
    """One symbol's ticks in a batch, folded once the batch is read: its extremes, its latest tick and book."""

    def __init__(self, ticks: list[tuple[int, Tick]]) -> None:
        self.positions = [position for position, _ in ticks]
        read = [tick for _, tick in ticks]
        marks = [tick.mark for tick in read]
        self.low, self.high = min(marks), max(marks)
        by_time = attrgetter("time")
        self.latest = max(read, key=by_time)  # the first of equal times is kept
        books = [tick for tick in read if tick.bid is not None]
        self.book = (self.latest if len(books) == len(read) else max(books, key=by_time)) if books else None

    def quote(self, source: str) -> Quote:
        """The latest tick as a quote. A tick with no book takes the batch's latest book, or, with none, a
        zero-width book at its price: the trade stands for both sides."""
        tick = self.latest
        book = tick if tick.bid is not None else self.book
        if book is not None and book.bid is not None and book.ask is not None:  # core.events refuses one side
            bid, ask = book.bid, book.ask
        else:
            bid = ask = tick.mark
        sizes = (book.bid_size, book.ask_size) if book is not None else (None, None)
        # The tick's fields were read and checked (positive prices, an uncrossed book, a catalog symbol).
        return Quote.model_construct(symbol=tick.symbol, bid=bid, ask=ask, last=tick.last, bid_size=sizes[0],
                                     ask_size=sizes[1], time=tick.time, source=source)


def ingest(deps: Deps, engine: AlertEngine, envelopes: list[Envelope]) -> BatchReport:
    """Apply a batch of envelopes; failures are reported by position in ``envelopes``. Signals
    (``webhook.event``) are handled only where ``deps.language`` can read the commands they may carry; with no
    language they are skipped as a type this consumer does not take."""
    report = BatchReport()
    ticks: dict[str, list[tuple[int, Tick]]] = {}
    sources: dict[str, str] = {}
    others: list[tuple[int, Envelope]] = []
    seen: set[str] = set()
    skipped = report.skipped
    catalog = deps.catalog
    for position, envelope in enumerate(envelopes):  # per record only what must be; the rest per symbol below
        if envelope.id in seen:
            skipped[Skip.DUPLICATE.value] += 1
            continue
        seen.add(envelope.id)
        kind = _KINDS.get(envelope.type)
        if kind is None:
            skipped[Skip.UNKNOWN_TYPE.value] += 1
        elif kind is EventType.MARKET_QUOTE or kind is EventType.MARKET_TRADE:
            try:
                tick = read_tick(envelope, catalog)
            except Malformed as bad:
                skipped[bad.reason.value] += 1
                continue
            found = ticks.get(tick.symbol)
            if found is None:
                ticks[tick.symbol] = [(position, tick)]
                sources[tick.symbol] = envelope.source
            else:
                found.append((position, tick))
        else:
            others.append((position, envelope))
    if ticks:
        paths = {symbol: _Path(found) for symbol, found in ticks.items()}
        report.merge(_market(deps, engine, paths, sources))
    for position, envelope in others:
        report.merge(_other(deps, position, envelope))
    return report


def _market(deps: Deps, engine: AlertEngine, paths: dict[str, _Path], sources: dict[str, str]) -> BatchReport:
    report = BatchReport()
    try:
        engine.refresh(deps, list(paths))
    except StoreError:
        log.warning("store unavailable for the alert index; %d symbols to retry", len(paths))
        report.failed.update(p for path in paths.values() for p in path.positions)
        return report
    quiet = _quiet(engine, paths, sources)
    if quiet:
        report.merge(_quotes_only(deps, engine, {s: paths[s] for s in quiet}, sources))
    for symbol, path in paths.items():
        if symbol in quiet:
            continue
        try:
            quote = path.quote(sources[symbol])
            outcome = on_conflict(partial(apply_quote, deps, engine, quote, path.low, path.high))
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


def _quiet(engine: AlertEngine, paths: dict[str, _Path], sources: dict[str, str]) -> set[str]:
    """Symbols whose quote can cause nothing: no resting order it reaches, and no alert its path crossed (cheap
    looks at the indexes, no store read). Their quotes are written together (one round trip where the store
    allows) instead of one unit each."""
    quiet = set()
    for symbol, path in paths.items():
        if engine.may_fire(PricePath(symbol, path.low, path.high, path.latest.mark, path.latest.time)):
            continue
        if engine.orders.candidates(path.quote(sources[symbol])):
            continue
        quiet.add(symbol)
    return quiet


def _quotes_only(deps: Deps, engine: AlertEngine, paths: dict[str, _Path], sources: dict[str, str]) -> BatchReport:
    report = BatchReport()
    kept, failed = deps.store.quotes.put_many([path.quote(sources[symbol]) for symbol, path in paths.items()])
    if failed:
        log.warning("%d quotes not written; their records will be retried", len(failed))
    for symbol, path in paths.items():
        if symbol in failed:
            report.failed.update(path.positions)
        elif symbol in kept:
            report.processed += len(path.positions)
            engine.record(PricePath(symbol, path.low, path.high, path.latest.mark, path.latest.time))
        else:
            report.skip(Skip.STALE, len(path.positions))
    return report


def _other(deps: Deps, position: int, envelope: Envelope) -> BatchReport:
    """One non-market record, in its own unit(s); what it changed, or why it changed nothing."""
    report = BatchReport()
    try:
        match envelope.known_type:
            case EventType.TRADE_FILL:
                done = on_conflict(lambda: stream_events.trade_fill(deps, envelope, read_data(TradeFill, envelope)))
            case EventType.ORDER_UPDATE:
                done = on_conflict(lambda: stream_events.order_update(deps, envelope, read_data(OrderUpdate, envelope)))
            case EventType.SYSTEM_ALERT | EventType.COMPLIANCE_EVENT:
                done = on_conflict(lambda: stream_events.system_event(deps, envelope, read_data(SystemEvent, envelope)))
            case EventType.WEBHOOK_EVENT if deps.language is not None:
                event = read_data(WebhookEvent, envelope)
                done = on_conflict(lambda: signals.handle(deps, envelope, event))
            case _:
                report.skip(Skip.UNKNOWN_TYPE)
                return report
    except Malformed as bad:
        report.skip(bad.reason)
    except (StoreError, ConcurrentUpdate) as exc:
        log.warning("%s record not applied (%s); it will be retried", envelope.type, type(exc).__name__)
        report.failed.add(position)
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

