"""Live trading, per account: the account's half of the switch, which only an admin turns (the platform's half
is PARLEY_LIVE_TRADING). Where an account trades is configuration, never a request; see core/venues.py."""

from __future__ import annotations

from core.accounts import Account
from core.audit import AuditKind
from core.usecases.admin.accounts import AccountRef, get_account, require_admin
from core.usecases.common.deps import Deps
from core.usecases.common.journal import audit
from core.usecases.common.retry import on_conflict


def set_live_trading(deps: Deps, actor: AccountRef, account_id: str, enabled: bool) -> Account:
    """Allow (or stop) real-money orders for ``account_id`` on its live venue. Admins only; audited."""
    actor = get_account(deps, actor)
    require_admin(actor)

    def attempt() -> Account:
        with deps.store.unit() as uow:
            account = uow.accounts.get(account_id)
            account.live_trading = enabled
            stored = uow.accounts.update(account)
            audit(uow, deps.now(), account_id, AuditKind.ACCOUNT, actor.id, live_trading=enabled,
                  venue=str(deps.broker.venue_for(account_id)))
            uow.commit()
        return stored

    return on_conflict(attempt)
