"""A trader's notification preferences, kept on the account (a versioned record: a racing write retries)."""

from __future__ import annotations

from core.accounts import Account
from core.channels import Preferences
from core.usecases.common.deps import Deps
from core.usecases.common.retry import on_conflict


def set_preferences(deps: Deps, account: Account, preferences: Preferences) -> Preferences:
    def attempt() -> Preferences:
        with deps.store.unit() as uow:
            fresh = uow.accounts.get(account.id)
            saved = uow.accounts.update(fresh.model_copy(update={"preferences": preferences}))
            uow.commit()
        return saved.preferences

    return on_conflict(attempt)
