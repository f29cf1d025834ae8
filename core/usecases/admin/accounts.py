"""Accounts and who may act for whom: decided here, once, for every door."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.accounts import Account, Role
from core.audit import AuditKind
from core.errors import AlreadyExists, Forbidden, NotFound
from core.usecases.common.deps import Deps
from core.usecases.common.journal import audit
from core.usecases.common.retry import on_conflict

AccountRef = Account | str  # an account already loaded (by the door's authentication), or its id


def create_account(
    deps: Deps, account_id: str, *, role: Role = Role.TRADER, name: str = "", starting_cash: Decimal | None = None
) -> Account:
    fields: dict[str, Any] = {"id": account_id, "role": role, "name": name, "created_at": deps.now()}
    if starting_cash is not None:
        fields["starting_cash"] = starting_cash
    account = Account(**fields)
    with deps.store.unit() as uow:
        stored = uow.accounts.add(account)
        audit(uow, deps.now(), account.id, AuditKind.ACCOUNT, "system", created=True, role=role.value)
        uow.commit()
    return stored


def revoke_tokens(deps: Deps, account_id: str, *, actor: str = "system") -> Account:
    """Refuse every token issued to ``account_id`` so far: its token generation moves on, and a token carrying
    an older one is refused on its next request. Audited."""
    def attempt() -> Account:
        with deps.store.unit() as uow:
            account = uow.accounts.get(account_id)
            account.token_generation += 1
            stored = uow.accounts.update(account)
            audit(uow, deps.now(), account_id, AuditKind.ACCOUNT, actor, tokens_revoked=True,
                  token_generation=stored.token_generation)
            uow.commit()
        return stored

    return on_conflict(attempt)


def ensure_account(deps: Deps, account_id: str, *, role: Role = Role.TRADER) -> Account:
    try:
        return deps.store.accounts.get(account_id)
    except NotFound:
        try:
            return create_account(deps, account_id, role=role)
        except AlreadyExists:
            return deps.store.accounts.get(account_id)


def get_account(deps: Deps, account: AccountRef) -> Account:
    return account if isinstance(account, Account) else deps.store.accounts.get(account)


def act_for(deps: Deps, actor: Account, account_id: str | None) -> Account:
    """The account a request acts on: the caller's own, or, for an admin only, the one it names."""
    if account_id is None or account_id == actor.id:
        return actor
    if not actor.is_admin:
        raise Forbidden("You can only see your own account.", account_id=account_id)
    return deps.store.accounts.get(account_id)


def require_admin(actor: Account) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("Only an admin can do that.", account_id=actor.id)
