"""Confirmation tickets: an order from a chat waits, risk-checked, until its trader confirms it.

A ticket is the order itself in status pending_confirmation, carrying a short one-time code and a
deadline. Confirming re-runs the risk gate and a price-drift check before the order goes to the broker.
These use cases return data (a Ticket, an Order); the chat wording lives with the chat, in agent/.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from core.accounts import Account
from core.errors import Conflict, NotFound, ParleyError
from core.ids import new_id
from core.instruments import Instrument
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus
from core.ports.store import UnitOfWork
from core.risk import RiskDecision, check_order, fresh_quote, reference_price
from core.usecases.admin.accounts import AccountRef, get_account
from core.usecases.common.deps import Deps, catalog_for
from core.usecases.common.journal import audit_decision, change_status
from core.usecases.common.retry import on_conflict
from core.usecases.trading import amend, closing, execution, orders, placement
from core.usecases.trading.entry_checks import check_against_market
from core.usecases.trading.positions import closing_order
from core.usecases.trading.risk_gate import gather, recent_orders
from core.usecases.trading.sizing import sized

TICKET_TTL = timedelta(minutes=2)
CODE_DIGITS = 4
LOOKBACK = timedelta(days=1)  # how far back a code is looked up (and kept unique)
CLOSE = "close"  # a ticket's source when it closes a position: its yes runs the close (core.usecases.trading.closing)


class Ticket(BaseModel):
    """An order staged for confirmation: what the trader is asked, as data."""

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    code: str
    order_id: str
    request: OrderRequest  # with its quantity; ``asked_notional`` is the amount the trader gave, if any
    asked_notional: Decimal | None = None
    replaces: str | None = None  # a ticket that changes this working order, rather than placing one
    instrument: Instrument
    expires_at: AwareDatetime
    price: Decimal | None  # the price the estimate uses
    notional: Decimal | None
    decision: RiskDecision
    venue: str = "PAPER"  # where it would trade, LIVE or PAPER first (core.venues.Venue.label): every ticket says it


class PriceMoved(ParleyError):
    """The market moved past the drift band since the ticket: ``details['ticket']`` asks again."""

    code = "price_moved"


@dataclass(frozen=True)
class Confirmed:
    """What a yes did: the order it executed, and for a close the working orders it cancelled (and shrank)
    in the same unit to make room."""

    order: Order
    cancelled: list[str] = field(default_factory=list)
    resized: list[str] = field(default_factory=list)


class _Refused(Exception):
    """Internal: a close ticket the gate refused, raised out of its unit so the cancels roll back."""

    def __init__(self, order: Order, decision: RiskDecision, quote: Quote | None) -> None:
        self.order, self.decision, self.quote = order, decision, quote


class _Moved(Exception):
    """Internal: a close ticket whose price moved, asked again once its unit is done."""

    def __init__(self, order: Order, drift: Decimal, quote: Quote) -> None:
        self.order, self.drift, self.quote = order, drift, quote


@dataclass(frozen=True)
class CancelledAll:
    working: list[Order]
    unconfirmed: list[Order]


def stage_order(deps: Deps, account: AccountRef, request: OrderRequest, *, source: str = "chat") -> Ticket:
    """An order from a chat: risk-checked and held as a ticket until ``confirm_order``. Raises RiskRejected."""
    account = get_account(deps, account)
    instrument = catalog_for(deps, account.id).get(request.symbol)
    request.check_against(instrument)

    def attempt() -> tuple[Ticket | None, RiskDecision, Order]:
        with deps.store.unit() as uow:
            staged = _stage(deps, uow, account, request, source)
            uow.commit()
        return staged

    ticket, decision, order = on_conflict(attempt)
    orders.raise_if_rejected(order, decision)
    assert ticket is not None
    return ticket


def stage_close(
    deps: Deps, account: AccountRef, symbol: str, *, quantity: Decimal | None = None,
    fraction: Decimal | None = None,
) -> Ticket:
    """A market close from a chat ("close AAPL", "close half AAPL"): a ticket that records it is a close of
    this symbol and quantity; its yes runs the close (cancelling the reducing orders in the same unit). The
    gate judges it now as it will then: with those orders out of the way, in a unit that is rolled back, so
    a cash account's bracket exits do not refuse the close that cancels them. Raises RiskRejected."""
    account = get_account(deps, account)
    request = closing_order(deps, account, symbol, quantity=quantity, fraction=fraction)
    request.check_against(catalog_for(deps, account.id).get(request.symbol))

    def attempt() -> tuple[Ticket | None, RiskDecision, Order]:
        with deps.store.unit() as uow:  # rolled back: the exits stay until the yes
            size, _, _ = closing.make_room(deps, uow, account, request.symbol, request.size, judging=True)
            staged = _stage(deps, uow, account, request.model_copy(update={"quantity": size}), CLOSE)
        _keep(deps, staged[2], staged[1])
        return staged

    ticket, decision, order = on_conflict(attempt)
    orders.raise_if_rejected(order, decision)
    assert ticket is not None
    return ticket


@dataclass(frozen=True)
class CloseRefused:
    """A position "close all" could not stage now, and why (its market shut, the gate)."""

    symbol: str
    code: str
    message: str


@dataclass(frozen=True)
class ClosesStaged:
    tickets: list[Ticket]
    refused: list[CloseRefused]


def stage_close_all(deps: Deps, account: AccountRef) -> ClosesStaged:
    """"close all" from a chat: a close ticket for every open position that can be closed now, and for each
    one that cannot, why, without stopping the others (as ``closing.close_all`` does for the API)."""
    account = get_account(deps, account)
    tickets: list[Ticket] = []
    refused: list[CloseRefused] = []
    for position in deps.store.positions.list_for_account(account.id):
        if position.is_flat:
            continue
        try:
            tickets.append(stage_close(deps, account, position.symbol))
        except ParleyError as error:
            refused.append(CloseRefused(position.symbol, error.code, error.message))
    return ClosesStaged(tickets, refused)


def _keep(deps: Deps, order: Order, decision: RiskDecision) -> None:
    """Store a ticket (or its refusal) judged in a unit that was rolled back, with the gate's decision."""
    with deps.store.unit() as uow:
        uow.orders.add(order)
        audit_decision(uow, order.account_id, order.id, decision, order.request())
        uow.commit()


def _stage(
    deps: Deps, uow: UnitOfWork, account: Account, request: OrderRequest, source: str
) -> tuple[Ticket | None, RiskDecision, Order]:
    now = deps.now()
    recent = recent_orders(uow, account, now, at_least=TICKET_TTL)
    ctx = gather(deps, uow, account, request, recent=recent)
    quote = ctx.quote
    asked, request = request, sized(request, ctx.instrument, quote, now, ctx.account, ctx.pays)
    check_against_market(request, ctx.instrument, fresh_quote(ctx))
    decision = check_order(request, ctx)
    order = uow.orders.add(Order(
        **request.model_dump(exclude={"notional"}), notional=asked.notional, id=new_id(), account_id=account.id,
        created_at=now, updated_at=now, source=source, request_fingerprint=asked.fingerprint(),
        staged_price=quote.price_to(request.side) if quote else None,
    ))
    audit_decision(uow, account.id, order.id, decision, request)
    if not decision.approved:
        return None, decision, orders.route(deps, uow, order, decision, fresh_quote(ctx))
    order.confirmation_code = _fresh_code(recent, now)
    order.confirm_by = now + TICKET_TTL
    change_status(uow, now, order, OrderStatus.PENDING_CONFIRMATION, source)
    order = uow.orders.update(order)
    return _ticket(deps, order, quote, decision), decision, order


def confirm_order(deps: Deps, account: AccountRef, code: str) -> Order:
    """Execute the ticket ``code`` of this account, once, before its deadline, if risk and price allow."""
    return confirm(deps, account, code).order


def confirm(deps: Deps, account: AccountRef, code: str) -> Confirmed:
    """``confirm_order``, saying also what a close ticket cancelled and shrank to make room."""
    account = get_account(deps, account)
    ended_at_venue = _close_room_at_venue(deps, account, code)
    try:
        done, quote, held = on_conflict(lambda: _confirm(deps, account, code))
    except _Refused as refused:  # the close's cancels rolled back; the ticket alone is kept, rejected
        with deps.store.unit() as uow:
            rejected = orders.route(deps, uow, uow.orders.get(refused.order.id), refused.decision, refused.quote)
            audit_decision(uow, account.id, rejected.id, refused.decision, rejected.request())
            uow.commit()
        orders.raise_if_rejected(rejected, refused.decision)
        raise AssertionError("unreachable") from None
    except _Moved as moved:
        ticket = stage_close(deps, account, moved.order.symbol, quantity=moved.order.quantity)
        raise PriceMoved(
            f"{moved.order.symbol} moved {moved.drift:.2f}% since you were asked (from {moved.order.staged_price} "
            f"to {moved.quote.price_to(moved.order.side)}).",
            ticket=ticket, drift_percent=f"{moved.drift:.2f}", symbol=moved.order.symbol,
        ) from None
    if held:  # a venue's order: sent now, with the deciding unit committed
        done = Confirmed(placement.send(deps, done.order, quote, account.id), done.cancelled, done.resized)
    done.cancelled[:0] = ended_at_venue
    return done


def _close_room_at_venue(deps: Deps, account: Account, code: str) -> list[str]:
    """The yes to a close ticket of a venue account: its reducing orders are cancelled at the venue before the
    confirmation's unit, with no unit open (``closing.cancel_at_venue``), once the ticket is found usable and
    the price has not moved past the account's limit (read only: the unit checks both again). Returns the ids
    that ended; nothing for any other ticket, or a paper account (its cancels are made in the unit)."""
    if not placement.account_on_venue(deps, account.id):
        return []
    now = deps.now()
    recent = recent_orders(deps.store, account, now, at_least=LOOKBACK)
    try:
        order = _find(recent, code)
    except ParleyError:
        return []  # the unit says why
    if (order.source != CLOSE or order.replaces is not None or order.status is not OrderStatus.PENDING_CONFIRMATION
            or (order.confirm_by is not None and now > order.confirm_by)):
        return []
    ctx = gather(deps, deps.store, account, order.request(), recent=recent, exclude_order_id=order.id)
    drift = _drift(order, fresh_quote(ctx))
    if drift is not None and drift > account.limits.confirmation_drift_percent:
        return []
    return closing.cancel_at_venue(deps, account, order.symbol, order.quantity)


def stage_modify(deps: Deps, account: AccountRef, order_id: str, **changes: Decimal | None) -> Ticket:
    """A change to a working order asked for in a chat: checked now (the order as it would become, through
    the gate) and held as a ticket; ``confirm_order`` with its code makes the change."""
    account = get_account(deps, account)
    wanted = amend.changes_of(changes)
    order_id = orders.resolve_order_id(deps, account, order_id)

    def attempt() -> tuple[Ticket | None, RiskDecision, Order]:
        with deps.store.unit() as uow:
            original = orders.own_order(uow, account.id, order_id)
            request = amend.changed_request(deps, original, wanted)
            judged = amend.working_part(original, request)
            now = deps.now()
            recent = recent_orders(uow, account, now, at_least=TICKET_TTL)
            ctx = gather(deps, uow, account, judged, recent=recent, exclude_order_id=original.id)
            decision = check_order(judged, ctx)
            ticket_order = uow.orders.add(Order(
                **request.model_dump(exclude={"notional"}), id=new_id(), account_id=account.id, created_at=now,
                updated_at=now, source="chat", request_fingerprint=request.fingerprint(), replaces=original.id,
                changes=sorted(wanted),
            ))
            audit_decision(uow, account.id, ticket_order.id, decision, request)
            if not decision.approved:
                rejected = orders.route(deps, uow, ticket_order, decision, None)
                uow.commit()
                return None, decision, rejected
            ticket_order.confirmation_code = _fresh_code(recent, now)
            ticket_order.confirm_by = now + TICKET_TTL
            change_status(uow, now, ticket_order, OrderStatus.PENDING_CONFIRMATION, "chat")
            ticket_order = uow.orders.update(ticket_order)
            uow.commit()
        return _ticket(deps, ticket_order, fresh_quote(ctx), decision), decision, ticket_order

    ticket, decision, staged = on_conflict(attempt)
    orders.raise_if_rejected(staged, decision)
    assert ticket is not None
    return ticket


def _confirm(deps: Deps, account: Account, code: str) -> tuple[Confirmed, Quote | None, bool]:
    """The deciding unit of a confirmation: the order, the quote it goes with, and whether it was held for its
    venue (pending_new, sent by the caller once this unit is committed)."""
    with deps.store.unit() as uow:
        now = deps.now()
        recent = recent_orders(uow, account, now, at_least=LOOKBACK)
        order = _find(recent, code)
        if order.status is not OrderStatus.PENDING_CONFIRMATION:
            raise Conflict(
                f"Code {code} was already used: order {order.id} is {order.status.value}.",
                code="ticket_used", order_id=order.id,
            )
        if order.confirm_by is not None and now > order.confirm_by:
            change_status(uow, now, order, OrderStatus.EXPIRED, account.id, "confirmation window passed")
            uow.orders.update(order)
            uow.commit()
            raise Conflict(
                f"Code {code} expired at {order.confirm_by:%H:%M:%S} UTC; send the order again.",
                code="ticket_expired", order_id=order.id,
            )
        if order.replaces is not None:  # a change to another order: used up here, applied just below
            change_status(uow, now, order, OrderStatus.CANCELLED, account.id, f"applied to order {order.replaces}")
            uow.orders.update(order)
            uow.commit()
            return Confirmed(_apply_modify(deps, account, order)), None, False
        if order.source == CLOSE:
            return _confirm_close(deps, uow, account, order, recent)
        request = order.request()
        ctx = gather(deps, uow, account, request, recent=recent, exclude_order_id=order.id)
        decision = check_order(request, ctx)
        audit_decision(uow, account.id, order.id, decision, request)
        quote = fresh_quote(ctx)
        if not decision.approved:
            order = orders.route(deps, uow, order, decision, quote)
            uow.commit()
            orders.raise_if_rejected(order, decision)
        drift = _drift(order, quote)
        if quote is not None and drift is not None and drift > account.limits.confirmation_drift_percent:
            moved = f"price moved {drift:.2f}% since the ticket"
            change_status(uow, now, order, OrderStatus.CANCELLED, account.id, moved)
            uow.orders.update(order)
            ticket, again, restaged = _stage(deps, uow, account, request, order.source)
            uow.commit()
            orders.raise_if_rejected(restaged, again)
            raise PriceMoved(
                f"{order.symbol} moved {drift:.2f}% since you were asked (from {order.staged_price} to "
                f"{quote.price_to(order.side)}).",
                ticket=ticket, drift_percent=f"{drift:.2f}", symbol=order.symbol,
            )
        if placement.on_venue(deps, order):
            done, held = placement.hold(deps, uow, order, account.id), True
        else:
            done, held = execution.submit(deps, uow, order, account.id, quote), False
        uow.commit()
    return Confirmed(done), quote, held


def _confirm_close(
    deps: Deps, uow: UnitOfWork, account: Account, order: Order, recent: list[Order]
) -> tuple[Confirmed, Quote | None, bool]:
    """A close ticket's yes, in the confirmation's unit: the drift check, then the symbol's reducing orders
    cancelled (or shrunk, for a part close) and the ticket cut to what is not already on its way out, then
    the gate again; a refusal rolls the cancels back (``_Refused``)."""
    now = deps.now()
    quote = fresh_quote(gather(deps, uow, account, order.request(), recent=recent, exclude_order_id=order.id))
    drift = _drift(order, quote)
    if quote is not None and drift is not None and drift > account.limits.confirmation_drift_percent:
        change_status(uow, now, order, OrderStatus.CANCELLED, account.id, f"price moved {drift:.2f}% since the ticket")
        uow.orders.update(order)
        uow.commit()
        raise _Moved(order, drift, quote)
    size, cancelled, resized = closing.make_room(deps, uow, account, order.symbol, order.quantity)
    if size != order.quantity:
        order.quantity = size
        order = uow.orders.update(order)
    request = order.request()
    ctx = gather(deps, uow, account, request, recent=recent, exclude_order_id=order.id)
    decision = check_order(request, ctx)
    quote = fresh_quote(ctx)
    if not decision.approved:
        raise _Refused(order, decision, quote)
    audit_decision(uow, account.id, order.id, decision, request)
    if placement.on_venue(deps, order):
        done, held = placement.hold(deps, uow, order, account.id), True
    else:
        done, held = execution.submit(deps, uow, order, account.id, quote), False
    uow.commit()
    return Confirmed(done, cancelled, resized), quote, held


def _apply_modify(deps: Deps, account: Account, ticket: Order) -> Order:
    """A confirmed modify ticket: the order it names is changed in the fields the trader named, and only
    those (replaying the rest would undo changes made since, and a bracket exit's quantity is not the
    trader's to set), re-checked by the gate as it is now."""
    assert ticket.replaces is not None
    changes = {name: getattr(ticket, name) for name in ticket.changes or amend.CHANGEABLE}
    return amend.modify_order(deps, account, ticket.replaces, **changes)


def decline_order(deps: Deps, account: AccountRef, code: str | None = None) -> Order:
    """Drop a waiting ticket: the one named by ``code``, else the newest."""
    account = get_account(deps, account)
    with deps.store.unit() as uow:
        now = deps.now()
        recent = recent_orders(uow, account, now, at_least=LOOKBACK)
        if code is not None:
            order = _find(recent, code)
            if order.status is not OrderStatus.PENDING_CONFIRMATION:
                raise Conflict(f"Code {code} is no longer waiting.", code="ticket_used", order_id=order.id)
        else:
            waiting = _waiting(recent, now)
            if not waiting:
                raise NotFound("No order is waiting for your confirmation.", code="ticket_not_found")
            order = waiting[0]
        change_status(uow, now, order, OrderStatus.CANCELLED, account.id, "declined by the trader")
        declined = uow.orders.update(order)
        uow.commit()
    return declined


def pending_confirmations(deps: Deps, account: AccountRef) -> list[Order]:
    """Tickets still waiting and inside their deadline, newest first."""
    account = get_account(deps, account)
    now = deps.now()
    return _waiting(deps.store.orders.list_for_account(account.id, since=now - LOOKBACK), now)


def cancel_all(deps: Deps, account: AccountRef) -> CancelledAll:
    """Cancel every working order and decline every ticket still waiting for a yes."""
    account = get_account(deps, account)
    working = orders.cancel_working(deps, account)
    declined = [decline_order(deps, account, o.confirmation_code) for o in pending_confirmations(deps, account)]
    return CancelledAll(working=working, unconfirmed=declined)


def _waiting(recent: list[Order], now: datetime) -> list[Order]:
    return [
        o for o in recent
        if o.status is OrderStatus.PENDING_CONFIRMATION and (o.confirm_by is None or now <= o.confirm_by)
    ]


def _find(recent: list[Order], code: str) -> Order:
    wanted = code.strip()
    for order in recent:  # newest first: a code reused after its ticket ended names the newest ticket
        if order.confirmation_code == wanted:
            return order
    raise NotFound(f"No order of yours is waiting for code {wanted}.", code="ticket_not_found")


def _fresh_code(recent: list[Order], now: datetime) -> str:
    """A code no ticket of the account that is still waiting carries."""
    taken = {o.confirmation_code for o in _waiting(recent, now)}
    for _ in range(100):
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if code not in taken:
            return code
    raise Conflict("Too many tickets waiting; confirm or decline some first.", code="tickets_exhausted")


def _ticket(deps: Deps, order: Order, quote: Quote | None, decision: RiskDecision) -> Ticket:
    assert order.confirmation_code is not None and order.confirm_by is not None
    request = order.request()
    instrument = catalog_for(deps, order.account_id).get(order.symbol)
    price = reference_price(request, quote)
    return Ticket(
        code=order.confirmation_code, order_id=order.id, request=request, asked_notional=order.notional,
        replaces=order.replaces,
        instrument=instrument,
        expires_at=order.confirm_by, price=price,
        notional=instrument.notional(request.size, price) if price is not None else None, decision=decision,
        venue=deps.broker.venue_for(order.account_id).label,
    )


def _drift(order: Order, quote: Quote | None) -> Decimal | None:
    if order.staged_price is None or quote is None:
        return None
    return abs(quote.price_to(order.side) - order.staged_price) / order.staged_price * 100
