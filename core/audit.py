"""The audit trail: every order state change and every risk decision, append-only."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AuditKind(StrEnum):
    ORDER_STATE = "order.state"
    RISK_DECISION = "risk.decision"
    FILL = "trade.fill"
    LIMITS_CHANGED = "limits.changed"
    KILL_SWITCH = "kill_switch"
    ACCOUNT = "account"
    ALERT = "alert"
    SYSTEM = "system.alert"
    COMPLIANCE = "compliance.event"
    SIGNAL = "signal"


class AuditRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str
    time: AwareDatetime
    account_id: str
    kind: AuditKind
    actor: str
    order_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
