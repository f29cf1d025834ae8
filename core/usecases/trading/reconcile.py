"""Reconciliation: what real venues did with Parley's orders, booked the way a stream's order update is booked.

Run on a schedule (and at placement, where the adapter looks a marketable order up until it settles). For every
working order of every account on a venue, the venue's report (cumulative fill, status) becomes broker events
(core.ports.venue.report_events) applied by ``execution.apply`` in one unit, as the order.update and trade.fill
stream events are: a fill under an id derived from the order and its cumulative quantity, so the placement, a
later run and a replay all name it alike and the trader is told once. The unit reads the order it changes, so
two runs racing on one order conflict on its version instead of booking one fill twice. What a booked fill leaves
for the venue (a bracket's exits, a sibling or a trimmed rest to cancel) is asked once the unit has committed
(``placement.ask_venue``), and a cancel the venue did not answer is asked again by the next run.

Then each account's positions are compared with the venue's; a difference is told to the admins as a
``position_drift`` system event (once per distinct difference: its envelope id is derived from it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from core.envelope import Envelope, EventType
from core.errors import AlreadyExists, ParleyError
from core.events import Severity, SystemEvent
from core.ids import derived_id
from core.ports.broker import BrokerEvent, EventKind
from core.ports.venue import VenueBroker, VenueDirectory, report_events
from core.usecases.common.deps import Deps
from core.usecases.common.retry import on_conflict
from core.usecases.market import order_events as stream_events
from core.usecases.trading import execution, placement

log = logging.getLogger("parley.reconcile")
# An order the venue has never heard of is rejected only once it is this old: a placement may still be in flight.
GRACE = timedelta(minutes=2)


@dataclass
class ReconcileReport:
    accounts: int = 0
    orders_checked: int = 0
    orders_changed: int = 0
    fills_booked: int = 0
    drifts_reported: int = 0
    failed_accounts: list[str] = field(default_factory=list)


def reconcile(deps: Deps, directory: VenueDirectory) -> ReconcileReport:
    """Every account on a venue; one account's venue failing does not stop the others."""
    report = ReconcileReport()
    for account_id in directory.venue_accounts():
        report.accounts += 1
        try:
            venue = directory.venue_broker(account_id)
            for order in deps.store.orders.list_for_account(account_id, open_only=True):
                report.orders_checked += 1
                events = sync_order(deps, venue, order.id)
                report.orders_changed += bool(events)
                report.fills_booked += sum(e.kind is EventKind.FILL for e in events)
            report.drifts_reported += report_drift(deps, venue, account_id)
        except ParleyError as exc:
            log.warning("account %s not reconciled (%s: %s)", account_id, exc.code, exc)
            report.failed_accounts.append(account_id)
    return report


def sync_order(deps: Deps, venue: VenueBroker, order_id: str) -> list[BrokerEvent]:
    """Bring one order to where the venue says it stands; returns the events booked (none if it already was)."""
    order = deps.store.orders.get(order_id)
    if order.status.is_final:
        return []
    found = venue.lookup(order)  # outside the unit: a venue's answer may take a while

    def attempt() -> list[BrokerEvent]:
        with deps.store.unit() as uow:
            current = uow.orders.get(order_id)
            if current.status.is_final:
                return []
            if found is not None:
                events = report_events(current, found)
            elif deps.now() - current.created_at > GRACE and current.filled_quantity == 0:
                reason = f"{venue.venue.name} has no such order: it never reached the venue"
                events = [BrokerEvent(kind=EventKind.REJECTED, order_id=current.id, time=deps.now(), reason=reason)]
            else:
                events = []
            if not events:
                return []
            execution.apply(deps, uow, current, events, actor=venue.venue.name)
            uow.commit()
        return events

    try:
        booked = on_conflict(attempt)
    except AlreadyExists:
        return []  # another run booked this very fill first
    if any(e.kind is EventKind.FILL for e in booked) or _cancel_unanswered(deps, order_id):
        placement.ask_venue(deps, order.account_id, order.symbol)
    return booked


def _cancel_unanswered(deps: Deps, order_id: str) -> bool:
    current = deps.store.orders.get(order_id)
    return current.status.is_open and execution.cancel_pending(current) is not None


def report_drift(deps: Deps, venue: VenueBroker, account_id: str) -> int:
    """Tell the admins where the account's positions and the venue's differ; 1 if a new difference was told."""
    theirs = venue.positions()
    ours = {p.symbol: p.quantity for p in deps.store.positions.list_for_account(account_id)}
    zero = Decimal(0)
    lines = [
        f"{symbol} Parley {_amount(ours.get(symbol, zero))}, {venue.venue.name} {_amount(theirs.get(symbol, zero))}"
        for symbol in sorted(set(ours) | set(theirs))
        if ours.get(symbol, zero) != theirs.get(symbol, zero)
    ]
    if not lines:
        return 0
    message = f"Positions differ from {venue.venue}: " + "; ".join(lines) + "."
    envelope = Envelope(
        type=EventType.SYSTEM_ALERT.value, id=derived_id("drift", account_id, message, length=16), source="reconcile",
        time=deps.now(), data={},
    )
    event = SystemEvent(code="position_drift", message=message[:1000], severity=Severity.WARNING,
                        account_id=account_id)
    try:
        stream_events.system_event(deps, envelope, event)
    except AlreadyExists:
        return 0  # this very difference was told before
    return 1



def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f")
