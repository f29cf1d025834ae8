"""The use cases every door calls (REST API, chat, agent tools, channels, streams), as plain functions that
take the platform's dependencies first, grouped by their consistency model, each group a package with a facade:

- ``trading``: orders, confirmations, closes, bookings, positions; one account's state changes atomically in
  one unit of work.
- ``market``: quotes, resting orders, alerts, stream events, signals; at-least-once streams, every effect keyed.
- ``messaging``: the notification outbox, delivery, the inbox, links, preferences, receipts; at-least-once,
  made once by dedup keys, no unit open across a provider's send.
- ``admin``: accounts, limits, trading states, live trading; one versioned record a change, with its audit.
- ``common``: ``Deps``, the retry, the journal, idempotent creation, run inside the caller's unit.

Doors import this package or a group's facade, never a group's inner modules (tests/unit/test_import_rules.py).
This package re-exports the names most doors use from the group facades. All re-exports are loaded on first use
(PEP 562 ``__getattr__``), so a handler pays at cold start only for the use case modules it calls."""

from __future__ import annotations

from core.usecases._lazy import lazy_exports

# name -> the group (a package under core.usecases) whose facade exports it
_EXPORTS = {
    "CancelledAll": "trading",
    "CloseRefused": "trading",
    "Closed": "trading",
    "ClosesStaged": "trading",
    "Confirmed": "trading",
    "ClosedAll": "trading",
    "SymbolClose": "trading",
    "Deps": "common",
    "PriceMoved": "trading",
    "Ticket": "trading",
    "WhatIf": "trading",
    "act_for": "admin",
    "audit_trail": "admin",
    "cancel_all": "trading",
    "cancel_order": "trading",
    "cancel_working": "trading",
    "cancelable_order": "trading",
    "check_risk": "trading",
    "close_all": "trading",
    "close_position": "trading",
    "closing_order": "trading",
    "closing_orders": "trading",
    "confirm": "trading",
    "confirm_order": "trading",
    "create_account": "admin",
    "decline_order": "trading",
    "delete_alert": "market",
    "ensure_account": "admin",
    "expire_day_orders": "trading",
    "get_account": "admin",
    "get_order": "trading",
    "kill_switch_state": "admin",
    "limits": "admin",
    "list_alerts": "market",
    "list_fills": "trading",
    "list_notifications": "messaging",
    "list_orders": "trading",
    "modify_order": "trading",
    "on_quote": "market",
    "pending_confirmations": "trading",
    "place_order": "trading",
    "platform_state": "admin",
    "portfolio": "trading",
    "positions": "trading",
    "quote": "trading",
    "realised_pnl_today": "admin",
    "record_session_closes": "trading",
    "register_signal_source": "market",
    "require_admin": "admin",
    "resolve_order_id": "trading",
    "revoke_tokens": "admin",
    "set_alert": "market",
    "set_kill_switch": "admin",
    "set_limits": "admin",
    "set_trading_state": "admin",
    "stage_modify": "trading",
    "stage_close": "trading",
    "stage_close_all": "trading",
    "stage_order": "trading",
    "what_if": "trading",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
