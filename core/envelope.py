"""The one JSON envelope every stream record carries: ``{"type","id","source","time","data","v"}``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class EventType(StrEnum):
    MARKET_QUOTE = "market.quote"
    MARKET_TRADE = "market.trade"
    ORDER_UPDATE = "order.update"
    TRADE_FILL = "trade.fill"
    SYSTEM_ALERT = "system.alert"
    COMPLIANCE_EVENT = "compliance.event"
    WEBHOOK_EVENT = "webhook.event"


class Envelope(BaseModel):
    """``type`` stays a plain string so that unknown types decode and can be skipped and counted."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    type: str = Field(min_length=1)
    id: str = Field(min_length=1, description="The dedup key.")
    source: str
    time: AwareDatetime
    data: dict[str, Any]
    v: int = 1

    @property
    def known_type(self) -> EventType | None:
        try:
            return EventType(self.type)
        except ValueError:
            return None
