"""Per-account pre-trade limits, with the defaults every new account starts from."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from core.numbers import PositiveAmount

DAY_SECONDS = 86_400


class RiskLimits(BaseModel):
    """``None`` switches a numeric check off for the account. Read strictly (amounts as in core.numbers, whole
    numbers as JSON integers, true/false as booleans): the API takes these from admins as they are."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    max_order_quantity: PositiveAmount | None = Decimal("10000")
    max_order_notional: PositiveAmount | None = Decimal("1000000")
    price_collar_percent: PositiveAmount | None = Decimal("10")
    max_position_quantity: PositiveAmount | None = Decimal("50000")
    max_gross_exposure: PositiveAmount | None = Decimal("5000000")
    daily_loss_limit: PositiveAmount | None = Decimal("50000")
    # Time limits are bounded by a day: beyond that they stop meaning anything, and an unbounded one would
    # overflow the date arithmetic of every later order of the account.
    duplicate_window_seconds: int = Field(default=5, ge=0, le=DAY_SECONDS)
    max_orders_per_minute: int | None = Field(default=60, gt=0, le=1_000_000)
    quote_max_age_seconds: int = Field(default=60, gt=0, le=DAY_SECONDS)
    # A confirmation is refused and asked again when the price moved more than this since the ticket.
    confirmation_drift_percent: PositiveAmount = Decimal("1")
    restricted_symbols: list[str] = Field(default_factory=list)
    # How many of each an account may hold at once: every one costs a check on each quote (alerts), a webhook a
    # stranger can aim at (signal sources), margin and a line in every list (working orders).
    max_alerts: int | None = Field(default=200, gt=0, le=100_000)
    max_signal_sources: int | None = Field(default=20, gt=0, le=1_000)
    max_working_orders: int | None = Field(default=500, gt=0, le=100_000)
