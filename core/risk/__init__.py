"""The pre-trade risk gate: every order, whatever door it came in by, passes ``check_order`` first."""

from core.risk.rules import (
    RATE_WINDOW,
    RiskContext,
    RiskDecision,
    RiskReason,
    check_order,
    fresh_quote,
    reference_price,
)

__all__ = [
    "RATE_WINDOW",
    "RiskContext",
    "RiskDecision",
    "RiskReason",
    "check_order",
    "fresh_quote",
    "reference_price",
]
