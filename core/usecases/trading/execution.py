"""Booking what a broker reports, inside the caller's unit of work: order states, fills, positions, bracket
exits and one-cancels-other, each with its audit record. The broker decides; this module records.

On a real venue a booking asks the venue nothing (no store transaction stays open across a network call): it
records what must be asked, a bracket's exits held ``pending_new`` (``venue_unconfirmed``) and an order whose rest
must go (a filled exit's sibling, a fill the guard trimmed) marked ``venue_cancel_pending``; once the unit has
committed, ``placement.ask_venue`` asks. Parley's paper broker makes no network call: it is asked in the unit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core.accounts import AccountKind
from core.audit import AuditKind
from core.brackets import exit_requests, fit_exits, oco_siblings, sibling_quantity
from core.errors import NotFound
from core.fill_guard import INSUFFICIENT_CASH, WOULD_OPEN_SHORT, bookable, may_break
from core.ids import derived_id
from core.market import Quote
from core.orders import Fill, Order, OrderStatus, OrderType, Side, TimeInForce
from core.portfolio import Position, apply_fill, cash
from core.ports.broker import BrokerEvent, EventKind
from core.ports.store import Store, UnitOfWork
from core.usecases.common.deps import Deps, catalog_for
from core.usecases.common.journal import audit, change_status
from core.usecases.messaging import outbox as notify
from core.venues import PAPER, UNCONFIRMED

_STATUS_FOR = {
    EventKind.ACCEPTED: OrderStatus.ACCEPTED,
    EventKind.UNCONFIRMED: OrderStatus.PENDING_NEW,
    EventKind.CANCELLED: OrderStatus.CANCELLED,
    EventKind.REJECTED: OrderStatus.REJECTED,
    EventKind.EXPIRED: OrderStatus.EXPIRED,
}
EXIT_COUNT = 2  # a bracket's exits: take-profit (index 0) and stop-loss (index 1)
# The reason prefix of a venue's working order whose rest a booking decided to cancel: the venue is asked once the
# booking's unit has committed (``placement.ask_venue``), and again by reconciliation until it answers.
CANCEL_PENDING = "venue_cancel_pending"
_GUARDED = (WOULD_OPEN_SHORT, INSUFFICIENT_CASH)


def submit(deps: Deps, uow: UnitOfWork, order: Order, actor: str, quote: Quote | None) -> Order:
    """Hand a stored, risk-approved order (status new) to the broker and book the answer."""
    quote = in_session(deps, order, quote)
    return apply(deps, uow, order, deps.broker.submit(order, quote, deps.now()), actor, quote)


def in_session(deps: Deps, order: Order, quote: Quote | None) -> Quote | None:
    """The quote an order is sent with: none outside its instrument's session, so nothing trades then (a limit or
    a stop rests)."""
    if quote is None:
        return None
    instrument = catalog_for(deps, order.account_id).get(order.symbol)
    return quote if deps.sessions.is_open(instrument, deps.now()) else None


def cancel(deps: Deps, uow: UnitOfWork, order: Order, actor: str, reason: str | None = None) -> Order:
    events = deps.broker.cancel(order, deps.now())
    if reason is not None:
        events = [e.model_copy(update={"reason": reason}) for e in events]
    return apply(deps, uow, order, events, actor)


def apply(
    deps: Deps, uow: UnitOfWork, order: Order, events: list[BrokerEvent], actor: str = "broker",
    quote: Quote | None = None,
) -> Order:
    """Apply ``events`` to ``order`` and store it in the unit. Returns the order as stored."""
    was_open = order.status.is_open
    venue = on_venue(deps, order.account_id)
    spawned: list[Order] = []
    filled = reduced = False
    guarded: str | None = None  # why the fill guard stopped the order: the rest of its events are not booked
    refused = venue and cancel_pending(order) in _GUARDED  # fills past the guard were refused already
    for event in events:
        if guarded is not None:
            break
        if event.kind is EventKind.FILL and event.fill is not None:
            if refused:  # the venue filled what the guard refused: all of it ends the order on Parley's side
                if order.status.is_open and event.fill.quantity >= order.remaining_quantity:
                    change_status(uow, deps.now(), order, OrderStatus.CANCELLED, actor, cancel_pending(order))
                continue
            fill, guarded = _guard(deps, uow, order, event.fill)
            if fill is None:
                continue
            reduced = _book_fill(deps, uow, order, fill) or reduced
            filled = True
            if order.order_type is OrderType.BRACKET and order.parent_id is None:
                spawned.extend(_bracket_exits(deps, uow, order, fill))
        elif event.kind is EventKind.TRAIL_MOVED:
            order.trail_reference = event.trail_reference
            order.updated_at = event.time
        elif event.kind is EventKind.TRIGGERED:
            order.triggered = True
            audit(uow, deps.now(), order.account_id, AuditKind.ORDER_STATE, actor, order.id, triggered=True)
        elif order.status is not _STATUS_FOR[event.kind]:
            change_status(uow, deps.now(), order, _STATUS_FOR[event.kind], actor, event.reason)
    stored = store(uow, order, deps.now(), was_open=was_open)
    if guarded is not None and stored.status.is_open:
        stored = _cancel_rest(deps, uow, stored, "risk", guarded)
    for child in spawned:
        current = uow.orders.get(child.id)  # an exit that filled at once may have cancelled its sibling
        if current.status is not OrderStatus.NEW:
            continue
        if venue:  # held for placement.ask_venue, which asks the venue once this unit has committed
            change_status(uow, deps.now(), current, OrderStatus.PENDING_NEW, "bracket", UNCONFIRMED)
            store(uow, current)
        else:
            submit(deps, uow, current, "bracket", quote if quote is not None else uow.quotes.get(child.symbol))
    if filled and stored.oco_group is not None:
        _adjust_siblings(deps, uow, uow.orders.get(stored.id))
    if reduced:
        _fit_exits_to_position(deps, uow, stored.account_id, stored.symbol)
    return uow.orders.get(stored.id)


def on_venue(deps: Deps, account_id: str) -> bool:
    """Whether ``account_id``'s orders go to a real venue (a network call) rather than Parley's paper broker."""
    return deps.broker.venue_for(account_id).name != PAPER.name


def cancel_pending(order: Order) -> str | None:
    """Why a booking decided to cancel the rest of ``order`` at its venue, while the venue has not been asked (or
    has not answered) yet; None when it did not."""
    marked = order.reason or ""
    return marked.removeprefix(f"{CANCEL_PENDING}: ") if marked.startswith(CANCEL_PENDING) else None


def _cancel_rest(deps: Deps, uow: UnitOfWork, order: Order, actor: str, reason: str) -> Order:
    """Cancel the rest of ``order`` for ``reason``: on paper now; on a venue, marked in the unit for
    ``placement.ask_venue`` (the order works on, as at the venue, until the venue answers)."""
    if not on_venue(deps, order.account_id):
        return cancel(deps, uow, order, actor, reason=reason)
    if order.status.is_final or cancel_pending(order) is not None:
        return order
    order.reason = f"{CANCEL_PENDING}: {reason}"
    order.updated_at = deps.now()
    audit(uow, deps.now(), order.account_id, AuditKind.ORDER_STATE, actor, order.id, cancel_requested=reason)
    return store(uow, order, deps.now())


def cancel_with_siblings(
    deps: Deps, uow: UnitOfWork, order: Order, actor: str, reason: str | None = None
) -> list[Order]:
    """Cancel an order; a bracket exit takes its sibling with it (cancelling one leg cancels the group).
    Returns what was cancelled, the order first."""
    cancelled = [cancel(deps, uow, order, actor, reason)]
    for sibling in oco_siblings(cancelled[0], group(uow, cancelled[0])):
        cancelled.append(cancel(deps, uow, sibling, actor, reason or f"one-cancels-other: {order.id} cancelled"))
    return cancelled


def resize(deps: Deps, uow: UnitOfWork, order: Order, quantity: Decimal, actor: str, reason: str) -> Order:
    """Change a working order's quantity; down to what has filled (or less) cancels the rest (on a venue, once the
    unit has committed: see ``_cancel_rest``)."""
    if quantity <= order.filled_quantity:
        return _cancel_rest(deps, uow, order, actor, reason)
    before = order.quantity
    order.quantity = quantity
    order.updated_at = deps.now()
    audit(uow, deps.now(), order.account_id, AuditKind.ORDER_STATE, actor, order.id,
          quantity=str(quantity), previous_quantity=str(before), reason=reason)
    return store(uow, order, deps.now())


def store(uow: UnitOfWork, order: Order, now: datetime | None = None, *, was_open: bool = True) -> Order:
    """Write an order the broker has seen, and where it now stands in its account's risk book: the book's
    version makes concurrent decisions on one account conflict instead of both passing. An order that is
    working, or was (``was_open``), goes to the order change log too, which keeps the stream consumers' index
    of resting orders current (core/usecases/market/resting.py); one filled or refused at once was never in it."""
    stored = uow.orders.update(order)
    if was_open or stored.status.is_open:
        uow.orders.log_change(stored, now or stored.updated_at)
    book = uow.books.get(order.account_id)
    book.track(stored)
    uow.books.save(book)
    return stored


def day_order_ended(deps: Deps, order: Order, now: datetime) -> datetime | None:
    """The close that ended ``order``'s day by ``now``, or None: a day order lasts until the close of the session
    it was placed in, or of the next one when its market was closed then (as at Alpaca and IB)."""
    if order.time_in_force is not TimeInForce.DAY or on_venue(deps, order.account_id):
        return None  # a real venue expires its own day orders; reconciliation books it
    close = deps.sessions.session_close(deps.catalog.get(order.symbol), order.created_at)
    return close if now >= close else None


def expire_day_order(deps: Deps, uow: UnitOfWork, order: Order, now: datetime) -> bool:
    """Expire ``order`` in the unit if its day has ended; True when it did."""
    close = day_order_ended(deps, order, now)
    if close is None:
        return False
    reason = f"day order expired at its session's close, {close:%Y-%m-%d %H:%M} UTC"
    change_status(uow, now, order, OrderStatus.EXPIRED, "system", reason)
    store(uow, order, now)
    return True


def _guard(deps: Deps, uow: UnitOfWork, order: Order, fill: Fill) -> tuple[Fill | None, str | None]:
    """``fill`` as far as it keeps the account's invariants (core.fill_guard), and why it was trimmed: the
    trim is audited and the trader told; the caller cancels the rest of the order."""
    instrument = catalog_for(deps, order.account_id).get(order.symbol)
    position = uow.positions.get(order.account_id, order.symbol)
    held = position.quantity if position is not None else Decimal(0)
    if not may_break(fill.side, held, fill.quantity, instrument):
        return fill, None
    account = uow.accounts.get(order.account_id)
    money = None
    if fill.side is Side.BUY and account.kind is AccountKind.CASH and instrument.cash_settled_notional:
        money = cash(account.starting_cash, uow.positions.list_for_account(order.account_id))
    quantity, reason = bookable(account, instrument, fill.side, fill.quantity, fill.price, held, money,
                                instrument.lot(order.fractional))
    if reason is None:
        return fill, None
    audit(uow, deps.now(), order.account_id, AuditKind.RISK_DECISION, "risk", order.id, approved=False,
          reasons=[reason], fill_id=fill.id, fill_quantity=str(fill.quantity), booked=str(quantity))
    notify.fill_guarded(uow, deps.now(), order, reason, fill.quantity, quantity)
    return (fill.model_copy(update={"quantity": quantity}) if quantity > 0 else None), reason


def _book_fill(deps: Deps, uow: UnitOfWork, order: Order, fill: Fill) -> bool:
    """The fill record, the position and the order move together: they are written in one unit. True when
    the fill made the position smaller (its exits may now be too large)."""
    instrument = catalog_for(deps, order.account_id).get(order.symbol)
    position = uow.positions.get(order.account_id, order.symbol) or Position(
        account_id=order.account_id, symbol=order.symbol, updated_at=fill.time
    )
    held = position.quantity
    realised = apply_fill(position, fill, instrument, deps.sessions.day_start(instrument, fill.time))
    saved = uow.positions.save(position)
    uow.fills.add(fill.model_copy(update={"realised_pnl": realised, "sequence": saved.version}))
    before = order.status
    order.record_fill(fill.quantity, fill.price, fill.time)
    notify.fill(uow, order, fill)
    audit(
        uow, deps.now(), order.account_id, AuditKind.FILL, "broker", order.id,
        fill_id=fill.id, quantity=str(fill.quantity), price=str(fill.price),
        realised_pnl=str(realised), previous=before.value, status=order.status.value,
    )
    return held != 0 and (abs(position.quantity) < abs(held) or (position.quantity > 0) != (held > 0))


def exit_id(group: str, index: int) -> str:
    """Exit ids derive from their entry fill, so one-cancels-other finds a sibling by key, not by a query."""
    return derived_id(group, str(index))


def _bracket_exits(deps: Deps, uow: UnitOfWork, entry: Order, fill: Fill) -> list[Order]:
    """The exits of an entry fill, sized to the position the fill left in the entry's direction (none when it
    only covered the other side), before any quote can trigger them."""
    position = uow.positions.get(entry.account_id, entry.symbol)
    left = position.quantity * entry.side.sign if position is not None else Decimal(0)
    protected = min(fill.quantity, max(left, Decimal(0)))
    if protected <= 0:
        return []
    now = deps.now()
    exits = []
    for index, request in enumerate(exit_requests(entry, protected)):
        child = Order(
            **request.model_dump(), id=exit_id(fill.id, index), account_id=entry.account_id, created_at=now,
            updated_at=now, source="bracket", parent_id=entry.id, oco_group=fill.id,
        )
        exits.append(uow.orders.add(child))
        audit(uow, now, child.account_id, AuditKind.ORDER_STATE, "bracket", child.id,
              status=child.status.value, parent_id=entry.id)
    return exits


def group(uow: UnitOfWork | Store, exit_order: Order) -> list[Order]:
    """The exits of ``exit_order``'s group, read by their derived ids (no query)."""
    if exit_order.oco_group is None:
        return []
    group = []
    for index in range(EXIT_COUNT):
        try:
            group.append(uow.orders.get(exit_id(exit_order.oco_group, index)))
        except NotFound:
            continue
    return group


def _adjust_siblings(deps: Deps, uow: UnitOfWork, filled_exit: Order) -> None:
    """One-cancels-other, by quantity: the sibling of an exit that filled shrinks to what is still protected,
    and is cancelled once nothing is."""
    for sibling in oco_siblings(filled_exit, group(uow, filled_exit)):
        target = sibling_quantity(filled_exit, sibling)
        if target <= sibling.filled_quantity:
            _cancel_rest(deps, uow, sibling, "oco", f"one-cancels-other: {filled_exit.id} filled")
        elif target < sibling.quantity:
            resize(deps, uow, sibling, target, "oco", f"one-cancels-other: {filled_exit.id} filled in part")


def _fit_exits_to_position(deps: Deps, uow: UnitOfWork, account_id: str, symbol: str) -> None:
    """After the position shrank (closed by hand, or by another exit), no bracket exit may stay larger than
    what it protects, or it could open a new position."""
    position = uow.positions.get(account_id, symbol)
    held = position.quantity if position is not None else Decimal(0)
    exits = [  # the account's own working orders: not every account's on the symbol, which a quote never reads
        uow.orders.get(o.id) for o in uow.orders.list_for_account(account_id, open_only=True)
        if o.symbol == symbol and o.oco_group is not None
    ]
    for order, quantity in fit_exits(held, [o for o in exits if o.status.is_open]):
        current = uow.orders.get(order.id)
        if current.status.is_open and quantity != current.quantity:
            resize(deps, uow, current, quantity, "system", f"fitted to the {symbol} position of {held}")
