"""Accounts: who trades, in which role, under which limits."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

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


class TradingState(StrEnum):
    """What an account (or the whole platform) may trade, as Nautilus' risk engine has it. ``reducing``: only
    orders that reduce a position pass, and working exits keep protecting; ``halted``: nothing passes, every
    working order is cancelled, and only an admin may still liquidate."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


def _from_kill_switch(data: Any, old: str) -> Any:
    """Records stored before trading states carry a kill switch flag: engaged reads as halted."""
    if isinstance(data, dict) and old in data:
        data = dict(data)
        if data.pop(old) and "trading_state" not in data:
            data["trading_state"] = TradingState.HALTED
    return data


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    name: str = ""
    role: Role = Role.TRADER
    kind: AccountKind = AccountKind.MARGIN
    currency: str = "USD"
    starting_cash: Decimal = Decimal("1000000")
    limits: RiskLimits = Field(default_factory=lambda: RiskLimits())
    trading_state: TradingState = TradingState.ACTIVE
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

    @model_validator(mode="before")
    @classmethod
    def _kill_switch_in_limits(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("limits"), dict) and "kill_switch" in data["limits"]:
            limits = dict(data["limits"])
            engaged = limits.pop("kill_switch")
            data = _from_kill_switch(dict(data, limits=limits, kill_switch=engaged), "kill_switch")
        return data


class SystemSettings(BaseModel):
    """Platform-wide switches, one record per deployment."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    trading_state: TradingState = TradingState.ACTIVE
    version: int = 0

    @model_validator(mode="before")
    @classmethod
    def _global_kill_switch(cls, data: Any) -> Any:
        return _from_kill_switch(data, "global_kill_switch")
