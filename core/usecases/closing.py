"""Closing positions: in one unit, the orders that already reduce the position make room for the close, and
the close takes only what is not already on its way out.

A full close cancels the symbol's working orders that reduce the position (bracket exits, stops, limits) so
nothing is left to sell a second time once the position is gone; a close already in flight (a market close
that filled in part on a thin book) is kept and counted, so a retry closes only the rest. A partial close
shrinks the exits to the position it leaves, oldest group kept first, and cancels the trader's own reducing
orders that no longer fit. Closing everything closes what can be closed now and says, per symbol, what was
refused and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.accounts import Account
from core.brackets import fit_exits, oco_siblings
from core.errors import AlreadyExists, Conflict, NotFound, ParleyError
from core.ids import derived_id, new_id
from core.market import Quote
from core.orders import Order, OrderStatus, OrderType, Side
from core.ports.store import Store, UnitOfWork
from core.risk import RiskDecision
from core.usecases import execution, orders, placement
from core.usecases.accounts import AccountRef, get_account
from core.usecases.deps import Deps, catalog_for
from core.usecases.journal import change_status
from core.usecases.positions import closing_order
from core.usecases.retry import on_conflict
from core.wording import formats

ZERO = Decimal(0)


@dataclass(frozen=True)
class Closed:
    """A close placed: its order, and the working orders it cancelled (and shrank) to make room."""

    order: Order
    cancelled: list[str] = field(default_factory=list)
    resized: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SymbolClose:
    """What closing everything did for one symbol: closed (with its order) or refused (with why)."""

    symbol: str
    closed: bool
    order: Order | None = None
    cancelled: list[str] = field(default_factory=list)
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class ClosedAll:
    results: list[SymbolClose]

    @property
    def orders(self) -> list[Order]:
        return [r.order for r in self.results if r.order is not None]


def in_flight(order: Order) -> bool:
    """A close on its way out: a market close still working (it filled in part on a thin book)."""
    return order.source == "close" and order.order_type is OrderType.MARKET


def close_position(
    deps: Deps, actor: Account, account: AccountRef, symbol: str, *, quantity: Decimal | None = None,
    fraction: Decimal | None = None, idempotency_key: str | None = None,
) -> Closed:
    """Close all of a position, or ``quantity`` or ``fraction`` of it, at market. An admin closing another
    account's position liquidates: a kill switch does not stop it, since it only reduces."""
    account = get_account(deps, account)
    symbol = catalog_for(deps, account.id).get(symbol).symbol
    order_id = derived_id(account.id, idempotency_key) if idempotency_key else new_id()
    liquidation = actor.is_admin and actor.id != account.id
    wanted = closing_order(deps, account, symbol, quantity=quantity, fraction=fraction).size
    ended_at_venue = cancel_at_venue(deps, account, symbol, wanted)

    def attempt() -> tuple[Closed, RiskDecision, Quote | None]:
        with deps.store.unit() as uow:
            closed, decision, quote = _close_in(deps, uow, account, symbol, quantity, fraction, order_id, liquidation)
            if decision.approved:
                uow.commit()
        if not decision.approved:  # nothing half-written: the cancels roll back, the refusal alone is kept
            orders.keep_rejection(deps, closed.order, decision)
        return closed, decision, quote

    try:
        closed, decision, quote = on_conflict(attempt)
    except AlreadyExists as taken:
        if not idempotency_key:
            raise
        existing = deps.store.orders.get(order_id) if _exists(deps, order_id) else None
        if existing is None:
            raise taken from None
        return Closed(orders.replay(deps, order_id, existing.request_fingerprint or "", taken))
    if placement.held(closed.order):  # a venue's close: sent now, with the unit that made room committed
        closed = Closed(placement.send(deps, closed.order, quote, "close"), closed.cancelled, closed.resized)
    closed.cancelled[:0] = ended_at_venue
    orders.raise_if_rejected(closed.order, decision)
    return closed


def _exists(deps: Deps, order_id: str) -> bool:
    try:
        deps.store.orders.get(order_id)
    except NotFound:
        return False
    return True


def _close_in(
    deps: Deps, uow: UnitOfWork, account: Account, symbol: str, quantity: Decimal | None, fraction: Decimal | None,
    order_id: str, liquidation: bool,
) -> tuple[Closed, RiskDecision, Quote | None]:
    request = closing_order(deps, account, symbol, quantity=quantity, fraction=fraction)
    size, cancelled, resized = make_room(deps, uow, account, symbol, request.size)
    request = request.model_copy(update={"quantity": size})
    request.check_against(catalog_for(deps, account.id).get(symbol))
    order, decision, quote = orders.place_in(deps, uow, account, request, order_id=order_id, source="close",
                                             liquidation=liquidation)
    return Closed(order, cancelled, resized), decision, quote


def make_room(
    deps: Deps, uow: UnitOfWork, account: Account, symbol: str, wanted: Decimal, *, judging: bool = False,
) -> tuple[Decimal, list[str], list[str]]:
    """In ``uow``: how much of ``wanted`` a close of ``symbol`` may still take (``room``), with the reducing orders
    cancelled or shrunk to what it leaves. Shared by the API's close and a close confirmed in the chat; a venue's
    orders are cancelled before the unit (``cancel_at_venue``), so none is asked here. ``judging``: the unit is
    only for the gate to judge a close with room made, and is rolled back, so no broker is asked to cancel."""
    size, changes = room(uow, account, symbol, wanted)
    cancelled, resized = _make_room(deps, uow, symbol, changes, judging)
    return size, cancelled, resized


def room(
    reader: UnitOfWork | Store, account: Account, symbol: str, wanted: Decimal
) -> tuple[Decimal, list[tuple[Order, Decimal]]]:
    """How much of ``wanted`` a close of ``symbol`` may still take (a close in flight counts as held for orders),
    and the reducing orders that must change to leave room for it, with their new quantities (core.brackets.
    fit_exits). Reads only. Raises NotFound (no position) or Conflict (the whole position is already on its way
    out)."""
    position = reader.positions.get(account.id, symbol)
    if position is None or position.is_flat:
        raise NotFound(f"You have no {symbol} position to close.", code="no_position")
    held = position.quantity
    reducing_side = Side.SELL if held > 0 else Side.BUY
    working = [
        o for o in reader.orders.list_open_for_symbol(symbol)
        if o.account_id == account.id and o.side is reducing_side and o.remaining_quantity > 0
    ]
    flying = sum((o.remaining_quantity for o in working if in_flight(o)), ZERO)
    left = abs(held) - min(flying, abs(held))
    size = min(wanted, left)
    if size <= 0:
        raise Conflict(
            f"Your {symbol} position is already being closed: {formats.quantity(flying)} is on its way out.",
            code="close_in_flight", symbol=symbol,
        )
    sign = Decimal(1) if held > 0 else Decimal(-1)
    return size, fit_exits((left - size) * sign, [o for o in working if not in_flight(o)])


def cancels(order: Order, target: Decimal) -> bool:
    """Whether making room cancels ``order`` (and its sibling) rather than shrinking it to ``target``."""
    return order.oco_group is None or target <= order.filled_quantity


def cancel_at_venue(deps: Deps, account: Account, symbol: str, wanted: Decimal) -> list[str]:
    """A venue account's reducing orders that a close of ``wanted`` cancels, cancelled with no unit open
    (``placement.cancel``) before the unit that places the close; the venue's word on each is booked as it comes.
    Paper accounts cancel inside that unit, so nothing is done here. Returns the ids that ended."""
    if not placement.account_on_venue(deps, account.id):
        return []
    _, changes = room(deps.store, account, symbol, wanted)
    asked: list[str] = []
    for order, target in changes:
        current = deps.store.orders.get(order.id)
        if current.status.is_open and cancels(current, target):
            reason = f"cancelled to close the {symbol} position"
            asked += [o.id for o in placement.cancel(deps, current, "close", reason=reason) if o.status.is_final]
    return asked


def _make_room(
    deps: Deps, uow: UnitOfWork, symbol: str, changes: list[tuple[Order, Decimal]], judging: bool = False,
) -> tuple[list[str], list[str]]:
    """Apply ``room``'s changes in the unit: an exit that no longer fits shrinks, the trader's own order that does
    not fit whole is cancelled."""
    cancelled: list[str] = []
    resized: list[str] = []
    for order, target in changes:
        current = uow.orders.get(order.id)
        if not current.status.is_open:
            continue  # its sibling's cancel took it already
        if cancels(current, target) and judging:  # as if cancelled, for the gate: no broker is asked
            for gone in [current, *oco_siblings(current, execution.group(uow, current))]:
                if gone.status.is_open:
                    change_status(uow, deps.now(), gone, OrderStatus.CANCELLED, "close", "to judge a close")
                    execution.store(uow, gone)
                    cancelled.append(gone.id)
        elif cancels(current, target):
            for gone in execution.cancel_with_siblings(deps, uow, current, "close",
                                                       reason=f"cancelled to close the {symbol} position"):
                cancelled.append(gone.id)
        else:
            execution.resize(deps, uow, current, target, "close", f"fitted to the {symbol} position a close leaves")
            resized.append(current.id)
    return cancelled, resized


def close_all(deps: Deps, actor: Account, account: AccountRef) -> ClosedAll:
    """Close every open position of the account, one order each: what can be closed now is, and each symbol
    that cannot be (its market shut, a refusal) says why, without stopping the others."""
    account = get_account(deps, account)
    results = []
    for position in deps.store.positions.list_for_account(account.id):
        if position.is_flat:
            continue
        try:
            closed = close_position(deps, actor, account, position.symbol)
        except ParleyError as refused:
            results.append(SymbolClose(position.symbol, False, code=refused.code, message=str(refused)))
            continue
        results.append(SymbolClose(position.symbol, True, closed.order, closed.cancelled))
    return ClosedAll(results)
