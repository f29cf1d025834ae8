"""The pre-trade risk gate: every order, whatever door it came in by, passes ``check_order`` first.

One module per concept: ``context`` (what the caller gathers), ``valuation`` (the account valued once per
context), ``recent`` (the recent orders indexed for the rate and duplicate checks), ``rules`` (one function per
check), ``messages`` (how reasons are worded) and ``gate`` (``check_order`` running them all, and its decision).
Pure: no I/O, standard library and core only.
"""

from core.risk.context import RiskContext, fresh_quote
from core.risk.gate import RiskDecision, RiskReason, check_order, reference_price
from core.risk.recent import RATE_WINDOW

__all__ = [
    "RATE_WINDOW",
    "RiskContext",
    "RiskDecision",
    "RiskReason",
    "check_order",
    "fresh_quote",
    "reference_price",
]
