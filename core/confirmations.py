"""Confirmation tickets: an order from a chat waits, risk-checked, until its trader confirms it.

A ticket is the order itself in status pending_confirmation, carrying a short one-time code and a
deadline. Confirming re-runs the risk gate and a price-drift check before the order goes to the broker.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel

from core.errors import Conflict, NotFound, ParleyError
from core.ids import new_id
from core.instruments import Instrument
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus, OrderType
from core.risk import RiskDecision, reference_price

if TYPE_CHECKING:
    from core.service import TradingService

DEFAULT_TTL = timedelta(minutes=2)
CODE_DIGITS = 4
LOOKBACK = timedelta(days=1)
_TYPE_LABEL = {
    OrderType.MARKET: "MKT",
    OrderType.LIMIT: "LMT",
    OrderType.STOP: "STP",
    OrderType.STOP_LIMIT: "STP LMT",
    OrderType.TRAILING_STOP: "TRAIL",
    OrderType.TAKE_PROFIT: "TP",
    OrderType.BRACKET: "BRACKET",
}


class Ticket(BaseModel):
    code: str
    order_id: str
    summary: str
    expires_at: datetime
    risk_message: str


class PriceMoved(ParleyError):
    """The market moved past the drift band since the ticket: a new ticket asks again."""

    code = "price_moved"


def summarise(request: OrderRequest, instrument: Instrument, price: Decimal | None, risk_message: str) -> str:
    """``BUY 10 AAPL LMT 190.00 DAY, est. 1,900.00 USD, risk OK``: what the trader reads before confirming."""

    def px(value: Decimal) -> str:
        return f"{instrument.round_to_tick(value):,}"

    parts = [request.side.value.upper(), f"{request.quantity:,}", request.symbol, _TYPE_LABEL[request.order_type]]
    if request.stop_price is not None:
        parts.append(px(request.stop_price))
    if request.limit_price is not None:
        parts.append(px(request.limit_price))
    if request.trail_percent is not None:
        parts.append(f"{request.trail_percent}%")
    if request.trail_amount is not None:
        parts.append(px(request.trail_amount))
    if request.take_profit_price is not None:
        parts.append(f"TP {px(request.take_profit_price)}")
    if request.stop_loss_price is not None:
        parts.append(f"SL {px(request.stop_loss_price)}")
    parts.append(request.time_in_force.value.upper())
    text = " ".join(parts)
    if price is not None:
        text += f", est. {instrument.notional(request.quantity, price):,.2f} {instrument.currency}"
    verdict = "risk OK" if risk_message == "Risk OK." else risk_message
    return f"{text}, {verdict}"


class ConfirmationDesk:
    def __init__(self, service: TradingService, ttl: timedelta = DEFAULT_TTL) -> None:
        self.service = service
        self.ttl = ttl

    def stage(self, account_id: str, request: OrderRequest, source: str) -> Ticket:
        svc = self.service
        instrument = svc.catalog.get(request.symbol)
        request.check_against(instrument)
        account = svc.store.accounts.get(account_id)
        with svc._lock:
            decision = svc._check(account, request)
            now = svc.clock()
            quote = svc.store.quotes.get(instrument.symbol)
            order = Order(
                **request.model_dump(), id=new_id(), account_id=account_id, created_at=now, updated_at=now,
                source=source, request_fingerprint=request.fingerprint(),
                staged_price=quote.price_to(request.side) if quote else None,
            )
            order = svc.store.orders.add(order)
            svc._audit_decision(account_id, order.id, decision, request)
            if not decision.approved:
                svc._route(order, decision)  # stores the rejection and raises RiskRejected
            order.confirmation_code = self._fresh_code(account_id)
            order.confirm_by = now + self.ttl
            svc.desk.change_status(order, OrderStatus.PENDING_CONFIRMATION, source)
            order = svc.store.orders.update(order)
            return self._ticket(order, instrument, quote, decision)

    def confirm(self, account_id: str, code: str) -> Order:
        """Execute the ticket ``code`` of this account, once, before its deadline, if risk and price allow."""
        svc = self.service
        with svc._lock:
            order = self._find(account_id, code)
            now = svc.clock()
            if order.status is not OrderStatus.PENDING_CONFIRMATION:
                raise Conflict(
                    f"Code {code} was already used: order {order.id} is {order.status.value}.",
                    code="ticket_used", order_id=order.id,
                )
            if order.confirm_by is not None and now > order.confirm_by:
                svc.desk.change_status(order, OrderStatus.EXPIRED, account_id, "confirmation window passed")
                svc.store.orders.update(order)
                raise Conflict(
                    f"Code {code} expired at {order.confirm_by:%H:%M:%S} UTC; send the order again.",
                    code="ticket_expired", order_id=order.id,
                )
            request = order.request()
            account = svc.store.accounts.get(account_id)
            decision = svc._check(account, request, exclude_order_id=order.id)
            svc._audit_decision(account_id, order.id, decision, request)
            if not decision.approved:
                svc._route(order, decision)
            quote = svc.store.quotes.get(order.symbol)
            drift = self._drift(order, quote)
            if drift is not None and drift > account.limits.confirmation_drift_percent:
                moved = f"price moved {drift:.2f}% since the ticket"
                svc.desk.change_status(order, OrderStatus.CANCELLED, account_id, moved)
                svc.store.orders.update(order)
                ticket = self.stage(account_id, request, order.source)
                raise PriceMoved(
                    f"{order.symbol} moved {drift:.2f}% since you were asked (from {order.staged_price} to "
                    f"{quote.price_to(order.side)}). New ticket: {ticket.summary}. Reply yes {ticket.code} to confirm.",
                    ticket=ticket.model_dump(mode="json"), drift_percent=f"{drift:.2f}", symbol=order.symbol,
                )
            return svc.desk.submit(order, actor=account_id)

    def reject(self, account_id: str, code: str | None = None) -> Order:
        """Drop a waiting ticket: the one named by ``code``, else the newest."""
        svc = self.service
        with svc._lock:
            if code is not None:
                order = self._find(account_id, code)
                if order.status is not OrderStatus.PENDING_CONFIRMATION:
                    raise Conflict(f"Code {code} is no longer waiting.", code="ticket_used", order_id=order.id)
            else:
                waiting = self.pending(account_id)
                if not waiting:
                    raise NotFound("No order is waiting for your confirmation.", code="ticket_not_found")
                order = waiting[0]
            svc.desk.change_status(order, OrderStatus.CANCELLED, account_id, "declined by the trader")
            return svc.store.orders.update(order)

    def pending(self, account_id: str) -> list[Order]:
        """Tickets still waiting and inside their deadline, newest first."""
        now = self.service.clock()
        return [
            o for o in self._recent(account_id)
            if o.status is OrderStatus.PENDING_CONFIRMATION and (o.confirm_by is None or now <= o.confirm_by)
        ]

    def _recent(self, account_id: str) -> list[Order]:
        since = self.service.clock() - LOOKBACK
        return self.service.store.orders.list_for_account(account_id, since=since)

    def _find(self, account_id: str, code: str) -> Order:
        wanted = code.strip()
        for order in self._recent(account_id):
            if order.confirmation_code == wanted:
                return order
        raise NotFound(f"No order of yours is waiting for code {wanted}.", code="ticket_not_found")

    def _fresh_code(self, account_id: str) -> str:
        taken = {o.confirmation_code for o in self._recent(account_id)}
        for _ in range(100):
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            if code not in taken:
                return code
        raise Conflict("Too many tickets today; confirm or decline some first.", code="tickets_exhausted")

    def _ticket(self, order: Order, instrument: Instrument, quote: Quote | None, decision: RiskDecision) -> Ticket:
        assert order.confirmation_code is not None and order.confirm_by is not None
        price = reference_price(order.request(), quote)
        return Ticket(
            code=order.confirmation_code,
            order_id=order.id,
            summary=summarise(order.request(), instrument, price, decision.message),
            expires_at=order.confirm_by,
            risk_message=decision.message,
        )

    @staticmethod
    def _drift(order: Order, quote: Quote | None) -> Decimal | None:
        if order.staged_price is None or quote is None:
            return None
        return abs(quote.price_to(order.side) - order.staged_price) / order.staged_price * 100

