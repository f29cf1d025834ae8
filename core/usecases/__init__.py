"""The use cases every door calls (REST API, chat, agent tools, channels, streams), as plain functions that
take the platform's dependencies first. Each module groups what traders do; this package re-exports them.

The re-exports are loaded on first use (PEP 562 ``__getattr__``), so a handler that names ``core.usecases`` pays
at cold start only for the use case modules it imports itself, and the rest on the first call that needs them."""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Any

# name -> the module under core.usecases that defines it ("module:attribute" when re-exported under another name)
_EXPORTS = {
    "CancelledAll": "confirmations",
    "CloseRefused": "confirmations",
    "Closed": "closing",
    "ClosesStaged": "confirmations",
    "Confirmed": "confirmations",
    "ClosedAll": "closing",
    "SymbolClose": "closing",
    "Deps": "deps",
    "PriceMoved": "confirmations",
    "Ticket": "confirmations",
    "WhatIf": "positions",
    "act_for": "accounts",
    "audit_trail": "risk_admin",
    "cancel_all": "confirmations",
    "cancel_order": "orders",
    "cancel_working": "orders",
    "cancelable_order": "orders",
    "check_risk": "orders",
    "close_all": "closing",
    "close_position": "closing",
    "closing_order": "positions",
    "closing_orders": "positions",
    "confirm": "confirmations",
    "confirm_order": "confirmations",
    "create_account": "accounts",
    "decline_order": "confirmations",
    "delete_alert": "alerts",
    "ensure_account": "accounts",
    "expire_day_orders": "sweep",
    "get_account": "accounts",
    "get_order": "orders",
    "kill_switch_state": "risk_admin",
    "limits": "risk_admin",
    "list_alerts": "alerts",
    "list_fills": "positions",
    "list_notifications": "notifications",
    "list_orders": "orders",
    "modify_order": "amend",
    "on_quote": "market",
    "pending_confirmations": "confirmations",
    "place_order": "orders",
    "platform_state": "risk_admin",
    "portfolio": "positions",
    "positions": "positions",
    "quote": "positions",
    "realised_pnl_today": "risk_admin",
    "record_session_closes": "sweep",
    "register_signal_source": "signals:register_source",
    "require_admin": "accounts",
    "resolve_order_id": "orders",
    "revoke_tokens": "accounts",
    "set_alert": "alerts",
    "set_kill_switch": "risk_admin",
    "set_limits": "risk_admin",
    "set_trading_state": "risk_admin",
    "stage_modify": "confirmations",
    "stage_close": "confirmations",
    "stage_close_all": "confirmations",
    "stage_order": "confirmations",
    "what_if": "positions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    value = getattr(import_module(f"{__name__}.{module}"), attribute or name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _UseCases(ModuleType):
    """The import system binds a submodule to its package's attribute when the submodule first loads; where the
    two share a name (``positions`` is a module and the function this package exports), the export stays."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _UseCases
