"""Trading: placing, confirming, changing, cancelling and closing orders, booking what brokers report, the
pre-trade gate's reads, positions and the portfolio, the day-order sweep and reconciliation with real venues.

Consistency: every write goes through one unit of work, so one account's state (orders, fills, positions, audit
and the notifications they cause) changes atomically; a unit that meets another writer is retried whole
(``common.retry``). Orders are idempotent under their Idempotency-Key. A real venue is never called with a unit
open: the order is recorded ``pending_new`` and committed, sent, and its answer booked in a second unit
(``placement``); reconciliation settles what stayed unanswered. Re-exports load on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.usecases._lazy import lazy_exports

if TYPE_CHECKING:  # a function exported under its module's name: tell the checker which one a door gets
    from core.usecases.trading.positions import positions as positions
    from core.usecases.trading.reconcile import reconcile as reconcile

_EXPORTS = {
    "CancelledAll": "confirmations",
    "CloseRefused": "confirmations",
    "Closed": "closing",
    "ClosedAll": "closing",
    "ClosesStaged": "confirmations",
    "Confirmed": "confirmations",
    "PriceMoved": "confirmations",
    "ReconcileReport": "reconcile",
    "SymbolClose": "closing",
    "Ticket": "confirmations",
    "WhatIf": "positions",
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
    "decline_order": "confirmations",
    "expire_day_orders": "sweep",
    "get_order": "orders",
    "list_fills": "positions",
    "list_orders": "orders",
    "modify_order": "amend",
    "pending_confirmations": "confirmations",
    "place_order": "orders",
    "portfolio": "positions",
    "positions": "positions",
    "quote": "positions",
    "reconcile": "reconcile",
    "record_session_closes": "sweep",
    "resolve_order_id": "orders",
    "stage_close": "confirmations",
    "stage_close_all": "confirmations",
    "stage_modify": "confirmations",
    "stage_order": "confirmations",
    "what_if": "positions",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
