"""Risk administration: per-account limits, trading states (the kill switch), today's P&L and the audit trail."""

from __future__ import annotations

from decimal import Decimal

from core.accounts import Account, TradingState
from core.audit import AuditKind, AuditRecord
from core.orders import Order, Side
from core.risk_limits import RiskLimits
from core.usecases.admin.accounts import AccountRef, get_account, require_admin
from core.usecases.common.deps import Deps
from core.usecases.common.journal import audit
from core.usecases.messaging import outbox as notify
from core.usecases.trading import orders


def limits(deps: Deps, account: AccountRef) -> RiskLimits:
    return get_account(deps, account).limits


def set_limits(deps: Deps, actor: Account, account_id: str, new: RiskLimits) -> RiskLimits:
    """Replace an account's limits (admin only); its trading state is set by set_trading_state."""
    require_admin(actor)
    with deps.store.unit() as uow:
        account = uow.accounts.get(account_id)
        before = account.limits
        account.limits = new
        stored = uow.accounts.update(account)
        audit(uow, deps.now(), account_id, AuditKind.LIMITS_CHANGED, actor.id,
              before=before.model_dump(mode="json"), after=stored.limits.model_dump(mode="json"))
        uow.commit()
    return stored.limits


def set_trading_state(
    deps: Deps, actor: Account, state: TradingState, *, account_id: str | None = None
) -> list[Order]:
    """Put one account (or, with no account, the whole platform) in ``state`` (admin only).

    The state is committed first, with its audit record and notification, so the gate judges every order by
    it from then on; then the working orders it no longer allows are cancelled, one unit per order: under
    ``halted`` all of them, under ``reducing`` those that would open or add to a position (bracket exits and
    orders that only reduce keep working). Returns the orders it cancelled.
    """
    require_admin(actor)
    with deps.store.unit() as uow:
        if account_id is None:
            settings = uow.settings.get()
            before, settings.trading_state = settings.trading_state, state
            uow.settings.save(settings)
        else:
            account = uow.accounts.get(account_id)
            before, account.trading_state = account.trading_state, state
            uow.accounts.update(account)
        audit(uow, deps.now(), account_id or "*", AuditKind.KILL_SWITCH, actor.id,
              scope="account" if account_id else "global", state=state.value, previous=before.value)
        notify.trading_state(deps, uow, actor, state=state, previous=before, account_id=account_id)
        uow.commit()
    if state is TradingState.ACTIVE:
        return []
    scope = [a.id for a in deps.store.accounts.list()] if account_id is None else [account_id]
    cancelled = []
    for member in scope:
        only = None if state is TradingState.HALTED else opening_orders(deps, member)
        cancelled += orders.cancel_working(deps, member, actor=actor.id, reason=f"trading {state.value}", only=only)
    return cancelled


def set_kill_switch(deps: Deps, actor: Account, *, engaged: bool, account_id: str | None = None) -> list[Order]:
    """The kill switch as it was before trading states: engaged is ``halted``, released is ``active``."""
    state = TradingState.HALTED if engaged else TradingState.ACTIVE
    return set_trading_state(deps, actor, state, account_id=account_id)


def opening_orders(deps: Deps, account_id: str) -> set[str]:
    """The account's working orders that would open or add to a position: all but bracket exits and, per
    symbol, the oldest orders against the position whose sizes together stay within it."""
    held = {p.symbol: p.quantity for p in deps.store.positions.list_for_account(account_id)}
    working = sorted(deps.store.orders.list_for_account(account_id, open_only=True), key=lambda o: o.created_at)
    covered: dict[str, Decimal] = {}
    opening = set()
    for order in working:
        if order.oco_group is not None or order.parent_id is not None:
            continue  # a bracket exit protects the position it was made for
        quantity = held.get(order.symbol, Decimal(0))
        against = (order.side is Side.SELL) == (quantity > 0) and quantity != 0
        total = covered.get(order.symbol, Decimal(0)) + order.remaining_quantity
        if against and total <= abs(quantity):
            covered[order.symbol] = total
        else:
            opening.add(order.id)
    return opening


def realised_pnl_today(deps: Deps, account: AccountRef) -> Decimal:
    """P&L realised by fills since 00:00 UTC: the figure the daily loss limit watches."""
    today = deps.now().date()
    held = deps.store.positions.list_for_account(get_account(deps, account).id)
    return sum((p.realised_on(today) for p in held), Decimal(0))


def kill_switch_state(deps: Deps) -> bool:
    """Whether the platform is halted (the platform-wide kill switch)."""
    return platform_state(deps) is TradingState.HALTED


def platform_state(deps: Deps) -> TradingState:
    return deps.store.settings.get().trading_state


def audit_trail(deps: Deps, account_id: str, limit: int | None = None) -> list[AuditRecord]:
    return deps.store.audit.list_for_account(account_id, limit=limit)
