"""Per-account pre-trade limits, with the defaults every new account starts from."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class RiskLimits(BaseModel):
    """``None`` switches a numeric check off for the account."""

    model_config = ConfigDict(extra="forbid")

    max_order_quantity: Decimal | None = Field(default=Decimal("10000"), gt=0)
    max_order_notional: Decimal | None = Field(default=Decimal("1000000"), gt=0)
    price_collar_percent: Decimal | None = Field(default=Decimal("10"), gt=0)
    max_position_quantity: Decimal | None = Field(default=Decimal("50000"), gt=0)
    max_gross_exposure: Decimal | None = Field(default=Decimal("5000000"), gt=0)
    daily_loss_limit: Decimal | None = Field(default=Decimal("50000"), gt=0)
    duplicate_window_seconds: int = Field(default=5, ge=0)
    max_orders_per_minute: int | None = Field(default=60, gt=0)
    quote_max_age_seconds: int = Field(default=60, gt=0)
    # A confirmation is refused and asked again when the price moved more than this since the ticket.
    confirmation_drift_percent: Decimal = Field(default=Decimal("1"), gt=0)
    restricted_symbols: list[str] = Field(default_factory=list)
    kill_switch: bool = False
