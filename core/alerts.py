"""Alerts: a condition a trader watches on one symbol, told to them when it is met.

Price alerts (above, below, percent move) are decided by the price alone, so the alert engine indexes them by
price (core/alert_index.py). Position alerts (P&L above or below an amount, risk-limit usage above a percent)
also move with the trader's fills, so they are decided against the stored position when their symbol ticks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from core.market import Quote

HUNDRED = Decimal(100)


class AlertCondition(StrEnum):
    ABOVE = "above"  # the mark rises to or above the threshold
    BELOW = "below"  # the mark falls to or below the threshold
    # the mark moves by threshold percent either way: from where it was when set, or, with ``window_seconds``,
    # within any span of that length (the window's high against its low)
    PCT_MOVE = "pct_move"
    PNL_ABOVE = "pnl_above"  # the position's P&L (realised + unrealised) reaches the threshold amount or more
    PNL_BELOW = "pnl_below"  # ... falls to the threshold amount or less (a loss is a negative threshold)
    RISK_ABOVE = "risk_usage_above"  # the account uses threshold percent or more of the limit it names

    @property
    def is_price(self) -> bool:
        return self in _PRICE_CONDITIONS

    @property
    def is_position(self) -> bool:
        return not self.is_price


_PRICE_CONDITIONS = frozenset({AlertCondition.ABOVE, AlertCondition.BELOW, AlertCondition.PCT_MOVE})


class RiskMeasure(StrEnum):
    """The limit a risk-usage alert measures, named as in RiskLimits."""

    GROSS_EXPOSURE = "max_gross_exposure"  # the account's gross exposure against its cap
    POSITION = "max_position_quantity"  # the symbol's position size against the position cap
    DAILY_LOSS = "daily_loss_limit"  # the account's loss today, as the gate measures it, against the daily loss limit


class AlertStatus(StrEnum):
    ACTIVE = "active"
    TRIGGERED = "triggered"  # a one-shot alert that fired; a repeating alert stays active
    CANCELLED = "cancelled"


class Alert(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str
    account_id: str
    symbol: str
    condition: AlertCondition
    threshold: Decimal
    reference_price: Decimal | None = None
    window_seconds: int | None = Field(default=None, gt=0, le=7 * 86_400)
    risk_limit: RiskMeasure | None = None
    repeat: bool = False
    cooldown_seconds: int = Field(default=0, ge=0, le=7 * 86_400)
    status: AlertStatus = AlertStatus.ACTIVE
    created_at: AwareDatetime
    triggered_at: AwareDatetime | None = None  # the latest time it fired
    triggered_price: Decimal | None = None
    trigger_count: int = 0
    request_fingerprint: str | None = None  # set with an Idempotency-Key (core/usecases/common/idempotent.py)
    version: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> Alert:
        is_pnl = self.condition in (AlertCondition.PNL_ABOVE, AlertCondition.PNL_BELOW)
        if not is_pnl and self.threshold <= 0:
            raise ValueError(f"a {self.condition.value} alert needs a positive threshold")
        if self.window_seconds is not None and self.condition is not AlertCondition.PCT_MOVE:
            raise ValueError("only a pct_move alert takes a window")
        if self.risk_limit is not None and self.condition is not AlertCondition.RISK_ABOVE:
            raise ValueError("only a risk_usage_above alert names a risk limit")
        if self.condition is AlertCondition.RISK_ABOVE and self.risk_limit is None:
            self.risk_limit = RiskMeasure.GROSS_EXPOSURE
        return self

    @property
    def is_active(self) -> bool:
        return self.status is AlertStatus.ACTIVE

    @property
    def is_windowed(self) -> bool:
        return self.window_seconds is not None

    def describe(self) -> str:
        c = self.condition
        if c is AlertCondition.PCT_MOVE and self.window_seconds is not None:
            text = f"{self.symbol} moves {self.threshold}% within {_span(self.window_seconds)}"
        elif c is AlertCondition.PCT_MOVE:
            text = f"{self.symbol} moves {self.threshold}% from {self.reference_price}"
        elif c in (AlertCondition.PNL_ABOVE, AlertCondition.PNL_BELOW):
            text = f"{self.symbol} P&L {'above' if c is AlertCondition.PNL_ABOVE else 'below'} {self.threshold}"
        elif c is AlertCondition.RISK_ABOVE:
            assert self.risk_limit is not None
            text = f"{self.symbol} {self.risk_limit.value} usage above {self.threshold}%"
        else:
            text = f"{self.symbol} {c.value} {self.threshold}"
        if self.repeat:
            text += f", repeating (cooldown {_span(self.cooldown_seconds)})"
        return text

    def price_levels(self) -> tuple[Decimal | None, Decimal | None]:
        """(rise to, fall to): the marks at or beyond which a price alert set from a fixed price is met.
        (None, None) for alerts the price alone cannot decide (position alerts, windowed moves)."""
        if self.condition is AlertCondition.ABOVE:
            return self.threshold, None
        if self.condition is AlertCondition.BELOW:
            return None, self.threshold
        if self.condition is AlertCondition.PCT_MOVE and not self.is_windowed and self.reference_price:
            move = self.reference_price * self.threshold / HUNDRED
            return self.reference_price + move, self.reference_price - move
        return None, None

    def met_by_path(self, low: Decimal, high: Decimal) -> bool:
        """Whether a price path that reached ``low`` and ``high`` meets a fixed-level price alert."""
        rise, fall = self.price_levels()
        return (rise is not None and high >= rise) or (fall is not None and low <= fall)

    def is_met_by(self, quote: Quote) -> bool:
        return self.met_by_path(quote.mark, quote.mark)

    def cooling_down(self, now: datetime) -> bool:
        """A repeating alert fires at most once per cooldown."""
        if self.triggered_at is None:
            return False
        return now - self.triggered_at < timedelta(seconds=self.cooldown_seconds)


class AlertChange(BaseModel):
    """One entry of the store's alert change log: an alert as it was added or left the active set.

    Warm stream consumers read the log once per batch (``changes_since`` their cursor) to keep their
    in-memory index current without re-reading every alert; see core/usecases/market/alert_engine.py.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    seq: int = Field(ge=1)
    alert: Alert
    time: AwareDatetime


def _span(seconds: int) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
