"""Accounts and their controls: creating accounts and acting for one, per-account risk limits, trading states
(the kill switch), an account's half of live trading, today's P&L and the audit trail.

Consistency: each change is one versioned record (the account, its limits, the platform's state) written in one
unit of work with its audit record, retried whole on a version conflict; an admin's kill switch cancels the
opening orders in that same unit. Only an admin acts for another account. Re-exports load on first use."""

from __future__ import annotations

from core.usecases._lazy import lazy_exports

_EXPORTS = {
    "AccountRef": "accounts",
    "act_for": "accounts",
    "audit_trail": "risk_admin",
    "create_account": "accounts",
    "ensure_account": "accounts",
    "get_account": "accounts",
    "kill_switch_state": "risk_admin",
    "limits": "risk_admin",
    "platform_state": "risk_admin",
    "realised_pnl_today": "risk_admin",
    "require_admin": "accounts",
    "revoke_tokens": "accounts",
    "set_kill_switch": "risk_admin",
    "set_limits": "risk_admin",
    "set_live_trading": "venues",
    "set_trading_state": "risk_admin",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
