"""Changing a working order: its quantity, limit or stop price, or trail (Alpaca's replace, IB's modify).

The changed order passes the same checks as a new one (entry checks against the market, the risk gate with
the order's own old self left out) and stays above what has already filled. A bracket's exits can be moved
too; the exits follow a changed entry quantity only as it fills.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from core.audit import AuditKind
from core.errors import Conflict, InvalidRequest
from core.orders import Order, OrderRequest, OrderStatus
from core.risk import check_order, fresh_quote
from core.usecases import execution, orders
from core.usecases.accounts import AccountRef, get_account
from core.usecases.deps import Deps, catalog_for
from core.usecases.entry_checks import check_against_market
from core.usecases.journal import audit, audit_decision
from core.usecases.retry import on_conflict
from core.usecases.risk_gate import gather

CHANGEABLE = ("quantity", "limit_price", "stop_price", "trail_amount", "trail_percent")


def modify_order(
    deps: Deps, account: AccountRef, order_id: str, *, actor: str | None = None, **changes: Decimal | None
) -> Order:
    """Change the working order ``order_id``: any of quantity, limit_price, stop_price, trail_amount,
    trail_percent (None leaves a field as it is). Raises Conflict if the order is not working, InvalidRequest
    if the change does not fit the order, RiskRejected if the gate refuses it (the order is then unchanged)."""
    wanted = changes_of(changes)
    account = get_account(deps, account)
    order_id = orders.resolve_order_id(deps, account, order_id)

    def attempt() -> Order:
        with deps.store.unit() as uow:
            order = orders.own_order(uow, account.id, order_id)
            request = changed_request(deps, order, wanted)
            instrument = catalog_for(deps, account.id).get(order.symbol)
            ctx = gather(deps, uow, account, request, exclude_order_id=order.id)
            if order.parent_id is None:  # a bracket exit only waits for its level; the entry checks are for entries
                check_against_market(request, instrument, fresh_quote(ctx))
            decision = check_order(request, ctx)
            audit_decision(uow, account.id, order.id, decision, request)
            if not decision.approved:
                uow.commit()  # the decision is kept in the audit trail; the order is unchanged
                orders.raise_if_rejected(order, decision)
            applied = {
                name: getattr(request, name) for name in CHANGEABLE if getattr(request, name) != getattr(order, name)
            }
            before = {name: getattr(order, name) for name in applied}
            for name, value in applied.items():
                setattr(order, name, value)
            if {"trail_amount", "trail_percent"} & set(applied):
                order.trail_reference = None  # a new trail starts from the market as it is now
            order.updated_at = deps.now()
            audit(uow, deps.now(), account.id, AuditKind.ORDER_STATE, actor or account.id, order.id,
                  modified={k: str(v) for k, v in applied.items()}, previous={k: str(v) for k, v in before.items()})
            stored = execution.store(uow, order)
            # Outside the instrument's session nothing trades: the changed order rests until the open.
            tradable = fresh_quote(ctx) if ctx.market is None or ctx.market.open else None
            events = deps.broker.modify(stored, tradable, deps.now())
            done = execution.apply(deps, uow, stored, events, actor or account.id) if events else stored
            uow.commit()
        return done

    return on_conflict(attempt)


def changes_of(changes: dict[str, Decimal | None]) -> dict[str, Decimal]:
    """The fields a change names (None leaves a field as it is); InvalidRequest for anything else."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise InvalidRequest(f"Only {', '.join(CHANGEABLE)} can be changed, not {', '.join(sorted(unknown))}.")
    wanted = {name: value for name, value in changes.items() if value is not None}
    if not wanted:
        raise InvalidRequest(f"Give at least one of {', '.join(CHANGEABLE)} to change.")
    return wanted


def changed_request(deps: Deps, order: Order, wanted: dict[str, Decimal]) -> OrderRequest:
    """``order`` as it would be with ``wanted`` applied, checked against its instrument; only a working order
    changes, and its quantity stays above what has filled."""
    if not order.status.is_open:
        raise Conflict(f"Order {order.id} is {order.status.value}; only a working order can be changed.",
                       code="order_not_working", order_id=order.id)
    if order.status is OrderStatus.PENDING_NEW:  # the venue may not know it yet: a change could not be sent
        raise Conflict(f"Order {order.id} is sent and waiting for its venue to confirm; change it once confirmed, "
                       "or cancel it.", code="order_unconfirmed", order_id=order.id)
    if order.oco_group is not None and "quantity" in wanted:
        raise InvalidRequest(
            f"Order {order.id} is a bracket exit: its quantity follows the position it protects. Change its price, "
            "or cancel it.", code="exit_quantity_fixed", field="quantity",
        )
    request = _changed(order, wanted)
    request.check_against(catalog_for(deps, order.account_id).get(order.symbol))
    if request.size <= order.filled_quantity:
        raise InvalidRequest(
            f"Order {order.id} has filled {order.filled_quantity}; its quantity must stay above that.",
            code="quantity_below_filled", field="quantity",
        )
    return request


def _changed(order: Order, wanted: dict[str, Decimal]) -> OrderRequest:
    fields = order.request().model_dump() | wanted
    if "trail_percent" in wanted:  # a trail is either an amount or a percent: the new one replaces the old
        fields["trail_amount"] = None
    elif "trail_amount" in wanted:
        fields["trail_percent"] = None
    try:
        return OrderRequest.model_validate(fields)
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise InvalidRequest(f"That change does not fit order {order.id}: {reasons}.") from None
