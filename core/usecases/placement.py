"""Sending an approved order to a real venue with no store transaction open across the call.

The unit that took the gate's decision records the order ``pending_new`` (``venue_unconfirmed``) and commits
(``hold``); the venue is called outside any unit; a second unit applies its answer (``send``), keyed by the order id,
which is the venue's client order id. The answer is applied only to the order as the first unit left it: a
reconciliation or a cancel that changed it meanwhile read the venue later, so its word stands. A process that stops
between the two leaves a ``pending_new`` order, which reconciliation settles from the venue's own answer.

Paper orders are worked inside the deciding unit: Parley's paper broker makes no network call.
"""

from __future__ import annotations

from collections.abc import Callable

from core.brackets import oco_siblings
from core.errors import AlreadyExists
from core.market import Quote
from core.orders import Order, OrderStatus
from core.ports.broker import BrokerEvent
from core.ports.store import UnitOfWork
from core.usecases import execution
from core.usecases.deps import Deps
from core.usecases.journal import change_status
from core.usecases.retry import on_conflict
from core.venues import PAPER, UNCONFIRMED


def on_venue(deps: Deps, order: Order) -> bool:
    """Whether ``order`` goes to a real venue (a network call) rather than Parley's paper broker."""
    return account_on_venue(deps, order.account_id)


def account_on_venue(deps: Deps, account_id: str) -> bool:
    """Whether ``account_id``'s orders go to a real venue rather than Parley's paper broker."""
    return deps.broker.venue_for(account_id).name != PAPER.name


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
        return on_conflict(attempt)
    except AlreadyExists:  # a reconciliation booked this very fill first
        return deps.store.orders.get(order.id)


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
