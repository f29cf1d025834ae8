"""Risk administration: per-account limits, kill switches, today's P&L and the audit trail."""

from __future__ import annotations

from decimal import Decimal

from core.accounts import Account
from core.audit import AuditKind, AuditRecord
from core.orders import Order
from core.risk_limits import RiskLimits
from core.usecases import notify, orders
from core.usecases.accounts import AccountRef, get_account, require_admin
from core.usecases.deps import Deps
from core.usecases.journal import audit


def limits(deps: Deps, account: AccountRef) -> RiskLimits:
    return get_account(deps, account).limits


def set_limits(deps: Deps, actor: Account, account_id: str, new: RiskLimits) -> RiskLimits:
    """Replace an account's limits (admin only); the kill switch keeps its state (set_kill_switch sets it)."""
    require_admin(actor)
    with deps.store.unit() as uow:
        account = uow.accounts.get(account_id)
        before = account.limits
        account.limits = new.model_copy(update={"kill_switch": before.kill_switch})
        stored = uow.accounts.update(account)
        audit(uow, deps.now(), account_id, AuditKind.LIMITS_CHANGED, actor.id,
              before=before.model_dump(mode="json"), after=stored.limits.model_dump(mode="json"))
        uow.commit()
    return stored.limits


def set_kill_switch(deps: Deps, actor: Account, *, engaged: bool, account_id: str | None = None) -> list[Order]:
    """Engage or release a kill switch, for one account or (no account) for the whole platform.

    The switch is committed first, so no new order passes the gate from then on; engaging then cancels the
    working orders in its scope, one unit per order. Returns the orders it cancelled.
    """
    require_admin(actor)
    with deps.store.unit() as uow:
        if account_id is None:
            settings = uow.settings.get()
            settings.global_kill_switch = engaged
            uow.settings.save(settings)
            audit(uow, deps.now(), "*", AuditKind.KILL_SWITCH, actor.id, scope="global", engaged=engaged)
        else:
            account = uow.accounts.get(account_id)
            account.limits = account.limits.model_copy(update={"kill_switch": engaged})
            uow.accounts.update(account)
            audit(uow, deps.now(), account_id, AuditKind.KILL_SWITCH, actor.id, scope="account", engaged=engaged)
        notify.kill_switch(deps, uow, actor, engaged=engaged, account_id=account_id)
        uow.commit()
    if not engaged:
        return []
    scope = [a.id for a in deps.store.accounts.list()] if account_id is None else [account_id]
    cancelled = []
    for member in scope:
        cancelled += orders.cancel_working(deps, member, actor=actor.id, reason="kill switch engaged")
    return cancelled


def realised_pnl_today(deps: Deps, account: AccountRef) -> Decimal:
    """P&L realised by fills since 00:00 UTC: the figure the daily loss limit watches."""
    today = deps.now().date()
    held = deps.store.positions.list_for_account(get_account(deps, account).id)
    return sum((p.realised_on(today) for p in held), Decimal(0))


def kill_switch_state(deps: Deps) -> bool:
    return deps.store.settings.get().global_kill_switch


def audit_trail(deps: Deps, account_id: str, limit: int | None = None) -> list[AuditRecord]:
    return deps.store.audit.list_for_account(account_id, limit=limit)
