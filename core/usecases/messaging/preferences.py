"""A trader's notification preferences, kept on the account (a versioned record: a racing write retries)."""

from __future__ import annotations

from core.accounts import Account
from core.channels import Preferences
from core.usecases.common.deps import Deps
from core.usecases.common.retry import on_conflict


def set_preferences(deps: Deps, account: Account, preferences: Preferences) -> Preferences:
    def attempt() -> Preferences:
        fresh = deps.store.accounts.get(account.id)
        return deps.store.accounts.update(fresh.model_copy(update={"preferences": preferences})).preferences

    return on_conflict(attempt)
