"""Reading notifications: a trader's own, newest first (the outbox itself is core/usecases/messaging/outbox.py)."""

from __future__ import annotations

from datetime import datetime

from core.notifications import Notification
from core.usecases.admin.accounts import AccountRef, get_account
from core.usecases.common.deps import Deps


def list_notifications(
    deps: Deps, account: AccountRef, *, limit: int = 50, before: tuple[datetime, str] | None = None
) -> list[Notification]:
    """Newest first; ``before`` (created_at, id) starts after that notification: one page read."""
    return deps.store.notifications.list_for_account(get_account(deps, account).id, limit=limit, before=before)
