"""Confirmation tickets: an order from a chat waits, risk-checked, until its trader confirms it.

A ticket is the order itself in status pending_confirmation, carrying a short one-time code and a
deadline. Confirming re-runs the risk gate and a price-drift check before the order goes to the broker.
These use cases return data (a Ticket, an Order); the chat wording lives with the chat, in agent/.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
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
from core.usecases import amend, execution, orders, placement
from core.usecases.accounts import AccountRef, get_account
from core.usecases.deps import Deps, catalog_for
from core.usecases.entry_checks import check_against_market
from core.usecases.journal import audit_decision, change_status
from core.usecases.retry import on_conflict
from core.usecases.risk_gate import gather, recent_orders
from core.usecases.sizing import sized

TICKET_TTL = timedelta(minutes=2)
CODE_DIGITS = 4
LOOKBACK = timedelta(days=1)  # how far back a code is looked up (and kept unique)


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
    account = get_account(deps, account)
    order, quote, held = on_conflict(lambda: _confirm(deps, account, code))
    if held:  # a venue's order: sent now, with the deciding unit committed
        order = placement.send(deps, order, quote, account.id)
    return order


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


def _confirm(deps: Deps, account: Account, code: str) -> tuple[Order, Quote | None, bool]:
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
            return _apply_modify(deps, account, order), None, False
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
    return done, quote, held


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
        notional=instrument.notional(request.quantity, price) if price is not None else None, decision=decision,
        venue=deps.broker.venue_for(order.account_id).label,
    )


def _drift(order: Order, quote: Quote | None) -> Decimal | None:
    if order.staged_price is None or quote is None:
        return None
    return abs(quote.price_to(order.side) - order.staged_price) / order.staged_price * 100
