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
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus, OrderType
from core.ports.store import UnitOfWork
from core.risk import check_order, fresh_quote
from core.usecases.admin.accounts import AccountRef, get_account
from core.usecases.common.deps import Deps, catalog_for
from core.usecases.common.journal import audit, audit_decision
from core.usecases.common.retry import on_conflict
from core.usecases.trading import execution, orders, placement
from core.usecases.trading.entry_checks import check_against_market, check_value
from core.usecases.trading.risk_gate import gather

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

    def decide() -> tuple[Order, dict[str, Decimal | None], Quote | None, Order | None]:
        """The deciding unit: the checks and the gate's decision (kept either way). A paper order is changed and
        worked in it too (no network call); a venue's order is left as it is until the venue agrees."""
        with deps.store.unit() as uow:
            order = orders.own_order(uow, account.id, order_id)
            request = changed_request(deps, order, wanted)
            judged = working_part(order, request)
            instrument = catalog_for(deps, account.id).get(order.symbol)
            ctx = gather(deps, uow, account, judged, exclude_order_id=order.id)
            if order.parent_id is None:  # a bracket exit only waits for its level; the entry checks are for entries
                check_against_market(judged, instrument, fresh_quote(ctx))
            else:
                check_value(judged, instrument, fresh_quote(ctx))
            decision = check_order(judged, ctx)
            audit_decision(uow, account.id, order.id, decision, judged)
            if not decision.approved:
                uow.commit()  # the decision is kept in the audit trail; the order is unchanged
                orders.raise_if_rejected(order, decision)
            applied = {
                name: getattr(request, name) for name in CHANGEABLE if getattr(request, name) != getattr(order, name)
            }
            # Outside the instrument's session nothing trades: the changed order rests until the open.
            tradable = fresh_quote(ctx) if ctx.market is None or ctx.market.open else None
            if placement.on_venue(deps, order):
                uow.commit()
                return order, applied, tradable, None
            stored = _apply_change(deps, uow, order, applied, who)
            events = deps.broker.modify(stored, tradable, deps.now())
            done = execution.apply(deps, uow, stored, events, who) if events else stored
            uow.commit()
        return order, applied, tradable, done

    who = actor or account.id
    order, applied, tradable, done = on_conflict(decide)
    if done is not None:
        return done
    # A venue's order: the venue is asked with no unit open, and what it agreed to is booked in a second unit.
    events = deps.broker.modify(_changed_copy(order, applied), tradable, deps.now())
    return placement.book(deps, order, events, who,
                          change=lambda uow, current: _apply_change(deps, uow, current, applied, who))


def _changed_copy(order: Order, applied: dict[str, Decimal | None]) -> Order:
    changed = order.model_copy(update=applied)
    if {"trail_amount", "trail_percent"} & set(applied):
        changed.trail_reference = None
    return changed


def _apply_change(deps: Deps, uow: UnitOfWork, order: Order, applied: dict[str, Decimal | None], actor: str) -> Order:
    """Write the change to ``order`` in the unit, with its audit record (the fields before and after)."""
    before = {name: getattr(order, name) for name in applied}
    for name, value in applied.items():
        setattr(order, name, value)
    if {"trail_amount", "trail_percent"} & set(applied):
        order.trail_reference = None  # a new trail starts from the market as it is now
    order.updated_at = deps.now()
    audit(uow, deps.now(), order.account_id, AuditKind.ORDER_STATE, actor, order.id,
          modified={k: str(v) for k, v in applied.items()}, previous={k: str(v) for k, v in before.items()})
    return execution.store(uow, order)


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
    if is_triggered(order) and set(wanted) - _AFTER_TRIGGER.get(order.order_type, set()):
        now_is = ("a limit order: only its limit or quantity can change" if order.order_type is OrderType.STOP_LIMIT
                  else "a market order and cannot be changed; cancel it instead")
        raise Conflict(f"Order {order.id} has been triggered: it is now {now_is}.", code="order_triggered",
                       order_id=order.id)
    request = _changed(order, wanted)
    request.check_against(catalog_for(deps, order.account_id).get(order.symbol))
    if request.size <= order.filled_quantity:
        raise InvalidRequest(
            f"Order {order.id} has filled {order.filled_quantity}; its quantity must stay above that.",
            code="quantity_below_filled", field="quantity",
        )
    return request


# A triggered stop-limit works as a limit: its limit and quantity may change. Other stops trade at market.
_AFTER_TRIGGER = {OrderType.STOP_LIMIT: {"quantity", "limit_price"}}
_STOP_TYPES = frozenset({OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT, OrderType.TRAILING_STOP})


def is_triggered(order: Order) -> bool:
    """A stop whose level was reached: flagged by the broker, or known from a fill (a stop fills only once hit)."""
    return order.order_type in _STOP_TYPES and (order.triggered or order.filled_quantity > 0)


def working_part(order: Order, request: OrderRequest) -> OrderRequest:
    """What the gate and the market checks judge: the part of the changed order that would still be working
    (its fills are already in the position), and a triggered stop-limit as the limit order it has become."""
    update: dict[str, object] = {}
    if order.filled_quantity:
        update["quantity"] = request.size - order.filled_quantity
    if is_triggered(order) and order.order_type is OrderType.STOP_LIMIT:
        update |= {"order_type": OrderType.LIMIT, "stop_price": None}
    return request.model_copy(update=update) if update else request


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
