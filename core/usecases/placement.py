"""Sending an approved order to a real venue with no store transaction open across the call.

The unit that took the gate's decision records the order ``pending_new`` (``venue_unconfirmed``) and commits
(``hold``); the venue is called outside any unit; a second unit applies its answer (``send``), keyed by the order id,
which is the venue's client order id. The answer is applied only to the order as the first unit left it: a
reconciliation or a cancel that changed it meanwhile read the venue later, so its word stands. A process that stops
between the two leaves a ``pending_new`` order, which reconciliation settles from the venue's own answer.

A venue's fill booked in any unit (here, by reconciliation, from a stream) asks the venue nothing inside it: the
unit holds a bracket's exits pending_new and marks an order whose rest must go (``execution.cancel_pending``);
``ask_venue`` then asks the venue for each, with no unit open, and books each answer in its own unit (``book``).

Paper orders are worked inside the deciding unit: Parley's paper broker makes no network call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.audit import AuditKind
from core.brackets import oco_siblings
from core.errors import AlreadyExists, ParleyError
from core.market import Quote
from core.notifications import NotificationKind
from core.orders import Order, OrderStatus
from core.ports.broker import BrokerEvent, EventKind
from core.ports.store import UnitOfWork
from core.usecases import execution, notify
from core.usecases.deps import Deps
from core.usecases.journal import audit, change_status
from core.usecases.retry import on_conflict
from core.venues import UNCONFIRMED

log = logging.getLogger("parley.placement")
REFUSED = "venue_refused"  # the code of a venue's definite refusal (infra/brokers/venue.py's Refused)

def on_venue(deps: Deps, order: Order) -> bool:
    """Whether ``order`` goes to a real venue (a network call) rather than Parley's paper broker."""
    return account_on_venue(deps, order.account_id)


def account_on_venue(deps: Deps, account_id: str) -> bool:
    """Whether ``account_id``'s orders go to a real venue rather than Parley's paper broker."""
    return execution.on_venue(deps, account_id)


def held(order: Order) -> bool:
    """Whether ``order`` is as ``hold`` left it: pending_new, not sent yet by this placement."""
    return order.status is OrderStatus.PENDING_NEW and order.reason == UNCONFIRMED


def hold(deps: Deps, uow: UnitOfWork, order: Order, actor: str) -> Order:
    """Record an approved order as pending_new in the caller's unit, to be sent by ``send`` once it commits. From
    here on it holds buying power and is reconciled, whatever becomes of the process."""
    change_status(uow, deps.now(), order, OrderStatus.PENDING_NEW, actor, UNCONFIRMED)
    return execution.store(uow, order)


def send(deps: Deps, order: Order, quote: Quote | None, actor: str) -> Order:
    """Send ``order`` (as ``hold`` stored it) to its venue, outside any unit, then book the venue's answer in a
    unit of its own. Returns the order as stored."""
    events = deps.broker.submit(order, execution.in_session(deps, order, quote), deps.now())
    return book(deps, order, events, actor, quote)


def book(
    deps: Deps, order: Order, events: list[BrokerEvent], actor: str, quote: Quote | None = None,
    change: Callable[[UnitOfWork, Order], Order] | None = None,
) -> Order:
    """Book a venue's answer (``events``), got with no unit open, in a unit of its own, on ``order`` as it was read
    before the call: ``change`` first applies what the venue agreed to (an amendment). An order changed meanwhile
    was settled from a later reading of the venue (reconciliation, a stream's update), whose word stands."""

    def attempt() -> Order:
        with deps.store.unit() as uow:
            current = uow.orders.get(order.id)
            if current.version != order.version:
                return current
            if change is not None:
                current = change(uow, current)
            applied = execution.apply(deps, uow, current, events, actor, quote) if events else current
            uow.commit()
        return applied

    try:
        booked = on_conflict(attempt)
    except AlreadyExists:  # a reconciliation booked this very fill first
        return deps.store.orders.get(order.id)
    if any(event.kind is EventKind.FILL for event in events):
        ask_venue(deps, booked.account_id, booked.symbol)
        booked = deps.store.orders.get(order.id)
    return booked


def ask_venue(deps: Deps, account_id: str, symbol: str) -> list[Order]:
    """Ask the venue what bookings of ``symbol`` on the account left for it, with no unit open: send each bracket
    exit held pending_new (at Alpaca, a lookup of the entry's leg) and cancel each order marked to cancel; each
    answer is booked in its own unit (``book``), on the order as read just before asking, so an answer that arrives
    twice, or a reconciliation meanwhile, books nothing twice (the venue keys both by the client order id). No answer
    leaves the order as it is (pending_new, or working and marked) for reconciliation; a refusal is booked (an exit
    rejected, the trader told) or, for a cancel, logged. Returns the orders as booked."""
    if not account_on_venue(deps, account_id):
        return []
    asked = []
    for listed in deps.store.orders.list_for_account(account_id, open_only=True):
        if listed.symbol != symbol:
            continue
        order = deps.store.orders.get(listed.id)  # as now: an answer booked meanwhile may have settled it
        try:
            if held(order) and order.source == "bracket" and order.parent_id is not None:
                asked.append(send(deps, order, None, "bracket"))
            elif order.status.is_open and (why := execution.cancel_pending(order)) is not None:
                try:
                    asked.append(book(deps, order, _cancel_events(deps, order, why), "system"))
                except ParleyError as exc:
                    if exc.code == REFUSED:
                        _cancel_refused(deps, order, why, str(exc))
                    raise
        except ParleyError as exc:  # unanswered or refused: the order stays as the venue has it
            log.warning("order %s: its venue was not asked or did not answer (%s: %s)", order.id, exc.code, exc)
    return asked


def _cancel_refused(deps: Deps, order: Order, why: str, refusal: str) -> None:
    """The venue definitely refused to cancel ``order``, which it still works: the mark goes (reconciliation would
    ask in vain) and the trader is told the order still works, in a unit of its own."""
    with deps.store.unit() as uow:
        current = uow.orders.get(order.id)
        if current.version != order.version:
            return  # settled meanwhile
        current.reason = None
        execution.store(uow, current, deps.now())
        audit(uow, deps.now(), current.account_id, AuditKind.ORDER_STATE, "system", current.id,
              cancel_refused=refusal, cancel_requested=why)
        venue = deps.broker.venue_for(current.account_id).title
        notify.emit(uow, deps.now(), current.account_id, NotificationKind.REJECTED, (current.id, REFUSED, why),
                    order_id=current.id, symbol=current.symbol, side=current.side.value,
                    quantity=str(current.quantity), status=current.status.value, code="venue_cancel_refused",
                    reason=refusal, why=why, venue=venue)
        uow.commit()


def cancel(deps: Deps, order: Order, actor: str, reason: str | None = None) -> list[Order]:
    """Cancel a venue's ``order`` (and a bracket exit's sibling) with no unit open across the venue's calls: each
    is asked to cancel, then its answer booked in a unit (``book``). The venue decides: cancelled, the fills that
    won the race, or still working; no answer (a timeout, a 5xx, a 429) raises with nothing booked, and the order
    stays as the venue has it until reconciliation reads it. Returns what was asked, the order first."""
    done = [book(deps, order, _cancel_events(deps, order, reason), actor)]
    for sibling in oco_siblings(done[0], execution.group(deps.store, done[0])):
        if sibling.status.is_open:
            why = reason or f"one-cancels-other: {order.id} cancelled"
            done.append(book(deps, sibling, _cancel_events(deps, sibling, why), actor))
    return done


def _cancel_events(deps: Deps, order: Order, reason: str | None) -> list[BrokerEvent]:
    events = deps.broker.cancel(order, deps.now())
    return [e.model_copy(update={"reason": reason}) for e in events] if reason is not None else events
