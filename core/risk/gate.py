"""The pre-trade risk gate: every order, whatever door it came in by, passes ``check_order`` first.

Every check runs and every failure is reported, so a trader sees all that is wrong at once. Checks are
plain functions over a ``RiskContext`` the caller assembles (core/risk/rules.py); the decision objects are
built once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.errors import RiskRejected
from core.market import Quote
from core.orders import OrderRequest, OrderType, Side
from core.promised import nothing_promised
from core.risk import rules
from core.risk.context import RiskContext, fresh_quote
from core.risk.messages import rejection
from core.risk.valuation import with_order


@dataclass(frozen=True, slots=True)
class RiskReason:
    code: str
    message: str
    limit: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "limit": self.limit, "value": self.value}


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The gate's verdict. A frozen dataclass rather than a pydantic model: every order builds one, from
    values the gate computed itself, so there is nothing to validate and the gate's hot path stays cheap."""

    approved: bool
    reasons: list[RiskReason]
    message: str
    checked_at: datetime

    def as_error(self) -> RiskRejected:
        return RiskRejected(self.message, reasons=[r.as_dict() for r in self.reasons])


def check_order(request: OrderRequest, ctx: RiskContext) -> RiskDecision:
    """Run every pre-trade check on ``request`` and say whether it may go to the broker, and why not."""
    limits = ctx.account.limits
    symbol = request.symbol.upper()
    quote = ctx.quote
    fresh = fresh_quote(ctx) is not None
    value = ctx.valuation
    promise = value.promises.get(symbol) or nothing_promised(symbol)
    held = promise.held
    buys, sells = promise.buys, promise.sells
    # Reducing only with what is available: what working orders have not already promised (core.promised).
    _, opening = promise.split(request.side, request.size)
    reducing = opening == 0
    price = reference_price(request, quote, ctx.pays)
    notional = ctx.instrument.notional(request.size, price) if price is not None else None

    found: list[rules.Found] = []
    found += rules.trading_state(ctx, reducing)
    restricted = limits.restricted_symbols
    if restricted and not reducing and symbol in {s.strip().upper() for s in restricted}:
        found.append(("restricted_instrument", f"Trading {symbol} is restricted on your account.", None, symbol))
    if not reducing:  # a trader can always cut risk: the size caps apply to orders that add to it
        found += rules.order_size(request, ctx, notional)
    if fresh and quote is not None:
        found += rules.price_collar(request, quote, limits.price_collar_percent)
    if request.side is Side.SELL and opening:
        found += rules.short(request, symbol, ctx, promise)
    if not reducing:
        found += rules.working_orders(ctx)
        found += rules.position(request, symbol, held, buys, sells, limits.max_position_quantity)
        valued = with_order(value, request, ctx.instrument.multiplier)
        found += rules.account_exposure(ctx, valued, notional)
        found += rules.buying_power(request, ctx, valued, price, opening)
    found += rules.recent_orders(request, symbol, ctx, reducing)
    found += rules.market_closed(request, symbol, ctx)
    found += rules.quote_needed(request, symbol, ctx, fresh)
    for rule in rules.REQUEST_RULES:
        found += rule(request, ctx)
    return _decide(found, ctx.now)


def reference_price(request: OrderRequest, quote: Quote | None, pays: Decimal | None = None) -> Decimal | None:
    """The price the order's notional is judged at; None when nothing prices it. An order at market is judged
    at what its fill will pay (``pays``, slippage included) when the caller knows it."""
    if request.limit_price is not None:
        return request.limit_price
    if request.stop_price is not None:
        return request.stop_price
    if request.order_type is OrderType.TAKE_PROFIT and request.take_profit_price is not None:
        return request.take_profit_price
    if pays is not None:
        return pays
    return quote.price_to(request.side) if quote is not None else None


def _decide(found: list[rules.Found], now: datetime) -> RiskDecision:
    if not found:
        return RiskDecision(approved=True, reasons=[], message="Risk OK.", checked_at=now)
    reasons = [RiskReason(code=c, message=m, limit=lim, value=v) for c, m, lim, v in found]
    return RiskDecision(approved=False, reasons=reasons, message=rejection([r.message for r in reasons]),
                        checked_at=now)
