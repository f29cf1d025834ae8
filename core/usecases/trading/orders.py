"""Orders: place (risk-checked, idempotent), cancel, look up and list."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from core.accounts import Account
from core.errors import (
    AlreadyExists,
    Conflict,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    ParleyError,
    RiskRejected,
)
from core.ids import derived_id, new_id
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus
from core.ports.store import Store, UnitOfWork
from core.risk import RiskDecision, check_order, fresh_quote
from core.usecases.admin.accounts import AccountRef, get_account
from core.usecases.common.deps import Deps, catalog_for
from core.usecases.common.journal import audit_decision, change_status
from core.usecases.common.retry import on_conflict
from core.usecases.trading import execution, placement
from core.usecases.trading.entry_checks import check_against_market
from core.usecases.trading.risk_gate import gather
from core.usecases.trading.sizing import sized

log = logging.getLogger("parley.orders")


def place_order(
    deps: Deps, account: AccountRef, request: OrderRequest, *, idempotency_key: str | None = None,
    source: str = "api", liquidation: bool = False,
) -> Order:
    """Validate, risk-check, store and route an order, in one unit. A risk rejection is stored, then raised.

    With ``idempotency_key`` the order id is derived from (account, key), so the store's conditional create
    makes a retry land on the same order: the same request gets it back, another one is refused.
    Powertools' idempotency utility would keep a second record beside the order; deriving the id keeps the
    guarantee in the order's own write, the same on every store.
    """
    account = get_account(deps, account)
    instrument = catalog_for(deps, account.id).get(request.symbol)
    request.check_against(instrument)
    fingerprint = request.fingerprint()
    order_id = derived_id(account.id, idempotency_key) if idempotency_key else new_id()
    def attempt() -> tuple[Order, RiskDecision, Quote | None]:
        # The deciding unit: the gate, the order and its audit, written together (nothing here calls a venue).
        with deps.store.unit() as uow:
            placed = place_in(deps, uow, account, request, order_id=order_id, source=source, liquidation=liquidation)
            uow.commit()
        return placed

    try:
        order, decision, quote = on_conflict(attempt)
    except AlreadyExists as taken:
        if not idempotency_key:
            raise
        return replay(deps, order_id, fingerprint, taken)
    if placement.held(order):  # a venue's order: sent now, with the deciding unit committed
        order = placement.send(deps, order, quote, source)
    return raise_if_rejected(order, decision)


def place_in(
    deps: Deps, uow: UnitOfWork, account: Account, request: OrderRequest, *, order_id: str, source: str = "api",
    liquidation: bool = False,
) -> tuple[Order, RiskDecision, Quote | None]:
    """Size, check and route ``request`` inside the caller's unit (which commits): the order is stored either
    way, rejected when the gate refused it. After committing, the caller sends a venue's order held pending_new
    (``placement.send``, with the quote returned) and raises ``raise_if_rejected``."""
    instrument = catalog_for(deps, account.id).get(request.symbol)
    ctx = gather(deps, uow, account, request, liquidation=liquidation)
    resolved = sized(request, instrument, ctx.quote, ctx.now, ctx.account, ctx.pays)
    check_against_market(resolved, instrument, fresh_quote(ctx))
    decision = check_order(resolved, ctx)
    now = deps.now()
    order = uow.orders.add(Order(
        **resolved.model_dump(exclude={"notional"}), notional=request.notional, id=order_id,
        account_id=account.id, created_at=now, updated_at=now, source=source,
        request_fingerprint=request.fingerprint(),
    ))
    audit_decision(uow, account.id, order.id, decision, resolved)
    return route(deps, uow, order, decision, fresh_quote(ctx)), decision, fresh_quote(ctx)


def route(deps: Deps, uow: UnitOfWork, order: Order, decision: RiskDecision, quote: Quote | None) -> Order:
    """An approved order goes to the paper broker with ``quote`` (a fresh one, or None), or is held pending_new for
    its venue (the caller sends it with ``placement.send`` once the unit is committed); a rejected one is stored
    as rejected, and the caller raises ``raise_if_rejected`` once the unit is committed, so the rejection is kept."""
    if not decision.approved:
        order.reject_codes = [r.code for r in decision.reasons]
        change_status(uow, deps.now(), order, OrderStatus.REJECTED, "risk", decision.message)
        return uow.orders.update(order)
    if placement.on_venue(deps, order):
        return placement.hold(deps, uow, order, order.source)
    return execution.submit(deps, uow, order, order.source, quote)


def keep_rejection(deps: Deps, order: Order, decision: RiskDecision) -> None:
    """Store a refused order and its decision on their own, after the unit that refused it rolled back."""
    with deps.store.unit() as uow:
        uow.orders.add(order)  # as the refusing unit left it: rejected, with the gate's reasons
        audit_decision(uow, order.account_id, order.id, decision, order.request())
        uow.commit()


def raise_if_rejected(order: Order, decision: RiskDecision) -> Order:
    if not decision.approved:
        raise RiskRejected(decision.message, order_id=order.id, reasons=[r.as_dict() for r in decision.reasons])
    return order


def replay(deps: Deps, order_id: str, fingerprint: str, taken: AlreadyExists) -> Order:
    """The order a retry under one Idempotency-Key lands on: the same request gets it back."""
    try:
        existing = deps.store.orders.get(order_id)
    except NotFound:
        raise taken from None  # something else of the unit was taken, not the order id
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different order.", order_id=existing.id
        )
    if existing.status is OrderStatus.REJECTED:
        raise RiskRejected(existing.reason or "Rejected.", order_id=existing.id, reasons=existing.reject_codes)
    return existing


def cancel_order(deps: Deps, account: AccountRef, order_id: str, *, actor: str | None = None) -> Order:
    """Cancel a working order of the account (a bracket exit takes its sibling). A venue's order is asked with no
    unit open (``placement.cancel``); Parley's paper broker answers inside the unit."""
    account = get_account(deps, account)
    order = own_order(deps.store, account.id, order_id)
    if order.status.is_final:
        raise Conflict(f"Order {order.id} is already {order.status.value}.", order_id=order.id)
    if placement.on_venue(deps, order):
        return placement.cancel(deps, order, actor or account.id)[0]
    with deps.store.unit() as uow:
        order = own_order(uow, account.id, order_id)
        if order.status.is_final:
            raise Conflict(f"Order {order.id} is already {order.status.value}.", order_id=order.id)
        cancelled = execution.cancel_with_siblings(deps, uow, order, actor or account.id)
        uow.commit()
    return cancelled[0]


def cancel_working(
    deps: Deps, account: AccountRef, *, actor: str | None = None, reason: str | None = None,
    only: Collection[str] | None = None,
) -> list[Order]:
    """Cancel every working order of the account (or those of ``only``), one unit per order (a unit stays
    small). A venue that refuses or does not answer for one order (logged; reconciliation settles it) does not
    stop the others: a halt cancels all it can."""
    account = get_account(deps, account)
    cancelled = []
    for order in deps.store.orders.list_for_account(account.id, open_only=True):
        if only is not None and order.id not in only:
            continue
        if placement.on_venue(deps, order):  # the venue is asked with no unit open
            current = deps.store.orders.get(order.id)
            if not current.status.is_open:
                continue
            try:
                cancelled += placement.cancel(deps, current, actor or account.id, reason=reason)
            except ParleyError as exc:  # refused or unanswered: it stays as the venue has it; the others go on
                log.warning("order %s not cancelled at its venue (%s: %s)", order.id, exc.code, exc)
            continue
        with deps.store.unit() as uow:
            current = uow.orders.get(order.id)
            if not current.status.is_open:
                continue
            cancelled += execution.cancel_with_siblings(deps, uow, current, actor or account.id, reason=reason)
            uow.commit()
    return cancelled


def cancelable_order(deps: Deps, account: AccountRef, order_id: str) -> Order:
    """The working order ``order_id`` (a unique prefix will do) of the account; Conflict if it is not working."""
    account = get_account(deps, account)
    order = get_order(deps, account, resolve_order_id(deps, account, order_id))
    if not order.status.is_open:
        raise Conflict(f"Order {order.id} is {order.status.value}, not working: nothing to cancel.",
                       order_id=order.id)
    return order


def get_order(deps: Deps, account: AccountRef, order_id: str) -> Order:
    """An order of this account; another account's order is NotFound, not Forbidden, to reveal nothing."""
    return own_order(deps.store, get_account(deps, account).id, order_id)


def own_order(reader: UnitOfWork | Store, account_id: str, order_id: str) -> Order:
    try:
        order = reader.orders.get(order_id.strip().upper())
    except NotFound:
        order = None
    if order is None or order.account_id != account_id:
        raise NotFound(f"No order {order_id} on account {account_id}.", order_id=order_id)
    return order


def resolve_order_id(deps: Deps, account: AccountRef, given: str) -> str:
    """A full order id, or a unique prefix of one of the account's working orders (traders abbreviate)."""
    given = given.strip().upper()
    working = list_orders(deps, account, open_only=True)
    if any(o.id == given for o in working):
        return given
    matches = [o.id for o in working if o.id.startswith(given)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InvalidRequest(f"{given} matches {len(matches)} orders: {', '.join(matches)}. Give more of the id.")
    return given  # get_order answers with its own "no such order"


def list_orders(
    deps: Deps, account: AccountRef, *, open_only: bool = False, limit: int | None = 100,
    before: tuple[datetime, str] | None = None,
) -> list[Order]:
    """Newest first; ``before`` (created_at, id) starts after that order: one page read, not the history."""
    account_id = get_account(deps, account).id
    return deps.store.orders.list_for_account(account_id, open_only=open_only, limit=limit, before=before)


def check_risk(deps: Deps, account: AccountRef, request: OrderRequest) -> RiskDecision:
    """A what-if: the decision the gate would take now, with nothing stored."""
    account = get_account(deps, account)
    instrument = catalog_for(deps, account.id).get(request.symbol)
    request.check_against(instrument)
    ctx = gather(deps, deps.store, account, request)
    request = sized(request, instrument, ctx.quote, ctx.now, ctx.account, ctx.pays)
    check_against_market(request, instrument, fresh_quote(ctx))
    return check_order(request, ctx)
