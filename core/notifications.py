"""Notifications: what Parley tells a trader (or the admins) without being asked.

Each one is written in the same unit of work as the event that causes it (a fill, a rejection, an expiry, an
alert firing, a kill switch, a system or compliance event, a signal), under an id derived from that event, so
a redelivered event can never make a second one. A relay then puts it on the notify queue (the outbox).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class NotificationKind(StrEnum):
    ALERT = "alert.triggered"
    FILL = "order.filled"
    REJECTED = "order.rejected"
    EXPIRED = "order.expired"
    KILL_SWITCH = "kill_switch"
    SYSTEM = "system.alert"
    COMPLIANCE = "compliance.event"
    SIGNAL = "signal"


class Notification(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str
    account_id: str
    kind: NotificationKind
    text: str
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: AwareDatetime
    sent_at: AwareDatetime | None = None  # when the relay put it on the notify queue

    def message(self) -> dict[str, Any]:
        """The notify queue's message body: the public fields, as JSON-ready data."""
        return self.model_dump(mode="json", exclude={"sent_at"})
