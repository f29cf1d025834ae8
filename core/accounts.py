"""Accounts: who trades, in which role, under which limits."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.channels import Preferences
from core.risk_limits import RiskLimits


class Role(StrEnum):
    TRADER = "trader"
    ADMIN = "admin"


class AccountKind(StrEnum):
    """A cash account spends only its cash and cannot sell short; a margin account borrows against equity
    (initial margin on equities, per-contract margin on futures). Crypto is paid in cash on either."""

    CASH = "cash"
    MARGIN = "margin"


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    name: str = ""
    role: Role = Role.TRADER
    kind: AccountKind = AccountKind.MARGIN
    currency: str = "USD"
    starting_cash: Decimal = Decimal("1000000")
    limits: RiskLimits = Field(default_factory=lambda: RiskLimits())
    # Set by an admin only: may this account trade real money on a live venue (PARLEY_LIVE_TRADING must be on too).
    live_trading: bool = False
    # Where notifications go, in order, and the quiet hours (GET/PUT /v1/preferences).
    preferences: Preferences = Field(default_factory=Preferences)
    # Tokens carry the generation they were issued in (``gen``); revoking tokens moves it on (parley token revoke).
    token_generation: int = Field(default=0, ge=0)
    created_at: AwareDatetime
    version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class SystemSettings(BaseModel):
    """Platform-wide switches, one record per deployment."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    global_kill_switch: bool = False
    version: int = 0
