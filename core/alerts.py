"""Price alerts: a condition on one symbol, evaluated against each new quote."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.market import Quote


class AlertCondition(StrEnum):
    ABOVE = "above"  # the mark rises to or above the threshold
    BELOW = "below"  # the mark falls to or below the threshold
    PCT_MOVE = "pct_move"  # the mark moves by threshold percent either way from where it was when set


class AlertStatus(StrEnum):
    ACTIVE = "active"
    TRIGGERED = "triggered"


class Alert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    account_id: str
    symbol: str
    condition: AlertCondition
    threshold: Decimal = Field(gt=0)
    reference_price: Decimal | None = None
    status: AlertStatus = AlertStatus.ACTIVE
    created_at: AwareDatetime
    triggered_at: AwareDatetime | None = None
    triggered_price: Decimal | None = None
    version: int = 0

    def describe(self) -> str:
        if self.condition is AlertCondition.PCT_MOVE:
            return f"{self.symbol} moves {self.threshold}% from {self.reference_price}"
        return f"{self.symbol} {self.condition.value} {self.threshold}"

    def is_met_by(self, quote: Quote) -> bool:
        mark = quote.mark
        if self.condition is AlertCondition.ABOVE:
            return mark >= self.threshold
        if self.condition is AlertCondition.BELOW:
            return mark <= self.threshold
        if not self.reference_price:
            return False
        return abs(mark - self.reference_price) / self.reference_price * 100 >= self.threshold
