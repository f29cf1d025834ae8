"""What every real-venue adapter shares: placing an order at most once, settling it, cancelling and modifying it
against what the venue says, and the error family each adapter translates its client's errors into.

An adapter implements a few hooks (send, find, cancel, replace, refuse) and maps its client's exceptions onto
``Refused`` (a rejection, in the trader's words), ``Unreachable`` (no answer: try again with the same client order
id) and ``Duplicate`` (the venue already has this client order id). The protocol lives here once:

- Parley's order id is the venue's client order id, so a retry can never place a second order: before sending
  again after a lost answer, the order is looked up by that id, and a "duplicate client id" answer is a lookup too.
- Only a definite refusal (a 4xx other than 408 and 429) rejects. A rate limit (``RateLimited``) is tried again
  after the venue's Retry-After, or a jittered backoff, while the wait stays within ``RATE_LIMIT_BUDGET``.
- An order that may have reached the venue and got no definite answer after every try (no answer, a rate limit,
  a lookup that failed) is never rejected: it is ``pending_new`` (``venue_unconfirmed``), and reconciliation
  settles it from the venue's answer, found by its client id (or, if the venue never had it, rejects it).
- After a placement, an order that trades at once is looked up until it settles (briefly), so a market order
  answers filled, as on paper. A lookup that fails then keeps the placement's answer; reconciliation catches
  whatever comes later.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime

from core.errors import ParleyError
from core.market import Quote
from core.orders import Order, OrderStatus, OrderType, TimeInForce
from core.ports.broker import BrokerEvent, EventKind
from core.ports.venue import VenueBroker, VenueOrder, report_events
from core.venues import UNCONFIRMED, Venue

log = logging.getLogger("parley.brokers")
ATTEMPTS = 3
SETTLE_SECONDS = 1.0
SETTLE_INTERVAL = 0.25
QUOTE_TTL = timedelta(seconds=5)
LISTING_TTL = timedelta(hours=1)
BACKOFF_SECONDS = 0.2  # the first wait after no answer; doubled on each try, jittered
RATE_LIMIT_BUDGET = 5.0  # seconds a placement or a lookup may wait in all for the venue's rate limit


class Refused(ParleyError):
    """The venue refused: the order is rejected with ``reason``, a sentence a trader understands."""

    code = "venue_refused"


class Unreachable(ParleyError):
    """No answer (timeout, connection error, a 5xx): it may or may not have reached the venue."""

    code = "venue_unreachable"


class RateLimited(Unreachable):
    """The venue's rate limit (HTTP 429): nothing was done by this request; ask again after ``retry_after``
    seconds (None when the venue did not say)."""

    code = "venue_rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class Duplicate(ParleyError):
    """The venue already has an order under this client order id."""

    code = "venue_duplicate"


class VenueAdapter(VenueBroker):
    """A venue broker built on a few hooks; see the module docstring for the protocol."""

    def __init__(
        self, venue: Venue, *, clock: Callable[[], datetime], sleep: Callable[[float], None] = time.sleep,
        attempts: int = ATTEMPTS, settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self.venue = venue
        self.name = venue.name
        self.clock = clock
        self.sleep = sleep
        self.attempts = attempts
        self.settle_seconds = settle_seconds
        self._quotes: dict[str, Quote] = {}

    # -- hooks -------------------------------------------------------------------------------------

    def refuse(self, order: Order) -> str | None:
        """Why the venue cannot take ``order`` as it is (an order type it lacks, a symbol it does not list), or
        None. Said before anything is sent."""
        return None

    def send(self, order: Order) -> VenueOrder:
        raise NotImplementedError

    def find(self, order: Order) -> VenueOrder | None:
        raise NotImplementedError

    def request_cancel(self, order: Order, report: VenueOrder) -> None:
        raise NotImplementedError

    def replace(self, order: Order, report: VenueOrder) -> VenueOrder:
        raise NotImplementedError

    def fetch_quote(self, symbol: str) -> Quote:
        raise NotImplementedError

    @contextmanager
    def translated(self) -> Iterator[None]:
        """Map the client's exceptions onto Refused, Unreachable and Duplicate."""
        yield

    # -- the broker port ---------------------------------------------------------------------------

    def submit(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        refusal = self.refuse(order)
        if refusal is not None:
            return [_event(EventKind.REJECTED, order, now, reason=refusal)]
        try:
            report = self._place(order)
        except Refused as refused:
            return [_event(EventKind.REJECTED, order, now, reason=str(refused))]
        if report is None:
            return [_event(EventKind.UNCONFIRMED, order, now, reason=UNCONFIRMED)]
        return report_events(order, self._settled(order, report))

    def cancel(self, order: Order, now: datetime) -> list[BrokerEvent]:
        """Ask the venue to cancel, then book what it says: cancelled, or the fills that won the race (a cancel
        the venue has not confirmed yet leaves the order working; reconciliation finishes it). A refusal is
        raised (Refused, with the venue's reason) when the venue still works the order; one explained by the
        order having filled or ended meanwhile is not: the lookup tells how it ended. No answer raises
        Unreachable: the order stays as the venue has it."""
        if order.status.is_final:
            return []
        report = self._call(lambda: self.find(order))
        if report is None:
            return [_event(EventKind.CANCELLED, order, now, reason=f"{self.venue.name} has no such order")]
        if not report.status.is_final:
            refusal: Refused | None = None
            try:
                self._call(lambda: self.request_cancel(order, report))
            except Refused as refused:
                refusal = refused
            report = self._call(lambda: self.find(order)) or report
            if refusal is not None and not report.status.is_final:
                raise refusal
        return report_events(order, report)

    def modify(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        """Replace the working order at the venue with ``order``'s new quantity and prices. A refusal leaves the
        venue's order as it was, so it is raised (the use case's unit is not committed) rather than booked."""
        if order.status.is_final:
            return []
        report = self._call(lambda: self.find(order))
        if report is None or report.status.is_final:
            return report_events(order, report) if report is not None else []
        replaced = self._call(lambda: self.replace(order, report))
        return report_events(order, replaced)

    # -- venue questions ---------------------------------------------------------------------------

    def lookup(self, order: Order) -> VenueOrder | None:
        return self._call(lambda: self.find(order))

    def quote(self, symbol: str) -> Quote:
        """A quote from the venue, reused for a few seconds (the quote tool and the risk gate may both ask)."""
        cached = self._quotes.get(symbol)
        if cached is not None and self.clock() - cached.time <= QUOTE_TTL:
            return cached
        fresh = self._call(lambda: self.fetch_quote(symbol))
        self._quotes[symbol] = fresh
        return fresh

    # -- protocol ----------------------------------------------------------------------------------

    def _call(self, action: Callable[[], object]) -> object:
        """One read or cancel, tried again on no answer or a rate limit; Unreachable (or RateLimited) when every
        try went unanswered."""
        waited = 0.0
        for attempt in range(self.attempts):
            try:
                with self.translated():
                    return action()
            except Unreachable as error:
                pause = self._pause(error, attempt, waited)
                if attempt == self.attempts - 1 or pause is None:
                    raise
                self.sleep(pause)
                waited += pause
        raise AssertionError("unreachable")

    def _place(self, order: Order) -> VenueOrder | None:
        """Send ``order`` once: a try after a lost answer first looks the order up by its client order id. None when
        it may have reached the venue and no try got a definite answer (it is left for reconciliation)."""
        waited = 0.0
        for attempt in range(self.attempts):
            try:
                if attempt > 0:
                    try:
                        with self.translated():
                            found = self.find(order)
                    except Refused as failed:  # the lookup was refused, not the order: it may be there
                        log.warning("order %s unconfirmed at %s: %s", order.id, self.venue.name, failed)
                        return None
                    if found is not None:
                        return found
                with self.translated():
                    return self.send(order)
            except Duplicate:  # the venue has it: what it says of it is the answer, or nothing definite
                try:
                    return self._call(lambda: self.find(order))
                except ParleyError as failed:
                    log.warning("order %s unconfirmed at %s: %s", order.id, self.venue.name, failed)
                    return None
            except Unreachable as error:
                log.warning("order %s: %s", order.id, error)
                pause = self._pause(error, attempt, waited)
                if pause is None:
                    return None
                if attempt < self.attempts - 1:
                    self.sleep(pause)
                    waited += pause
        return None

    def _pause(self, error: Unreachable, attempt: int, waited: float) -> float | None:
        """How long to wait before the next try: the venue's Retry-After on a rate limit, else a jittered
        exponential backoff; None when that wait would take a rate-limited call past ``RATE_LIMIT_BUDGET``."""
        retry_after = error.retry_after if isinstance(error, RateLimited) else None
        pause = retry_after if retry_after is not None else BACKOFF_SECONDS * 2**attempt * random.uniform(0.5, 1.5)
        if isinstance(error, RateLimited) and waited + pause > RATE_LIMIT_BUDGET:
            return None
        return pause

    def _settled(self, order: Order, report: VenueOrder) -> VenueOrder:
        """Look a marketable order up until the venue has worked it (or ``settle_seconds`` pass)."""
        immediate = order.at_market or order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK)
        waited = 0.0
        while immediate and not report.status.is_final and waited < self.settle_seconds:
            self.sleep(SETTLE_INTERVAL)
            waited += SETTLE_INTERVAL
            try:
                report = self._call(lambda: self.find(order)) or report
            except ParleyError as failed:  # the placement's answer stands; reconciliation reads the rest
                log.warning("order %s not settled at %s: %s", order.id, self.venue.name, failed)
                break
        return report


def retry_after(header: str | None) -> float | None:
    """An HTTP Retry-After in seconds: delta-seconds, or an HTTP date (RFC 9110); None if absent or unreadable."""
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def working_status(filled: Decimal) -> OrderStatus:
    return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED


def unsupported(venue: str, order: Order, kinds: frozenset[OrderType]) -> str | None:
    if order.order_type in kinds:
        return None
    return (f"{venue} does not take {order.order_type.value.replace('_', ' ')} orders on {order.symbol}; "
            f"it takes {', '.join(sorted(k.value.replace('_', ' ') for k in kinds))}")


def _event(kind: EventKind, order: Order, now: datetime, **fields: object) -> BrokerEvent:
    return BrokerEvent(kind=kind, order_id=order.id, time=now, **fields)
