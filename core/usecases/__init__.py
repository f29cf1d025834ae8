"""The use cases every door calls (REST API, chat, agent tools, channels, streams), as plain functions that
take the platform's dependencies first. Each module groups what traders do; this package re-exports them."""

from core.usecases.accounts import (
    act_for,
    create_account,
    ensure_account,
    get_account,
    require_admin,
    revoke_tokens,
)
from core.usecases.alerts import delete_alert, list_alerts, set_alert
from core.usecases.amend import modify_order
from core.usecases.confirmations import (
    CancelledAll,
    PriceMoved,
    Ticket,
    cancel_all,
    confirm_order,
    decline_order,
    pending_confirmations,
    stage_modify,
    stage_order,
)
from core.usecases.deps import Deps
from core.usecases.market import on_quote
from core.usecases.notifications import list_notifications
from core.usecases.orders import (
    cancel_order,
    cancel_working,
    cancelable_order,
    check_risk,
    get_order,
    list_orders,
    place_order,
    resolve_order_id,
)
from core.usecases.positions import (
    WhatIf,
    close_all,
    close_position,
    closing_order,
    closing_orders,
    list_fills,
    portfolio,
    positions,
    quote,
    what_if,
)
from core.usecases.risk_admin import (
    audit_trail,
    kill_switch_state,
    limits,
    realised_pnl_today,
    set_kill_switch,
    set_limits,
)
from core.usecases.signals import register_source as register_signal_source
from core.usecases.sweep import expire_day_orders, record_session_closes

__all__ = [
    "CancelledAll",
    "Deps",
    "PriceMoved",
    "Ticket",
    "WhatIf",
    "act_for",
    "audit_trail",
    "cancel_all",
    "cancel_order",
    "cancel_working",
    "cancelable_order",
    "check_risk",
    "close_all",
    "close_position",
    "closing_order",
    "closing_orders",
    "confirm_order",
    "create_account",
    "decline_order",
    "delete_alert",
    "ensure_account",
    "expire_day_orders",
    "get_account",
    "get_order",
    "kill_switch_state",
    "limits",
    "list_alerts",
    "list_fills",
    "list_notifications",
    "list_orders",
    "modify_order",
    "on_quote",
    "pending_confirmations",
    "place_order",
    "portfolio",
    "positions",
    "quote",
    "realised_pnl_today",
    "record_session_closes",
    "register_signal_source",
    "require_admin",
    "resolve_order_id",
    "revoke_tokens",
    "set_alert",
    "set_kill_switch",
    "set_limits",
    "stage_modify",
    "stage_order",
    "what_if",
]
