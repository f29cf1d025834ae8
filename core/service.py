"""The use cases. Every door (REST API, chat agent, grammar, channels, streams) calls these and only
formats the answer; authorisation by account and role is decided here, once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from core.accounts import Account, Role
from core.alerts import Alert, AlertCondition, AlertStatus
from core.audit import AuditKind, AuditRecord
from core.brokers.base import Broker
from core.confirmations import ConfirmationDesk, Ticket
from core.errors import (
    AlreadyExists,
    ConcurrentUpdate,
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    QuoteUnavailable,
    RiskRejected,
)
from core.execution import ExecutionDesk
from core.ids import derived_id, new_id
from core.instruments import InstrumentCatalog
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus, utcnow
from core.portfolio import PortfolioView, PositionView, build_portfolio, value_position
from core.risk import RiskContext, RiskDecision, check_order
from core.risk_limits import RiskLimits
from core.store.ports import Store

RECENT_ORDER_WINDOW = timedelta(seconds=60)


class TradingService:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        catalog: InstrumentCatalog | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.catalog = catalog or InstrumentCatalog.default()
        self.clock = clock
        self.desk = ExecutionDesk(store, broker, self.catalog, clock)
        self.confirmations = ConfirmationDesk(self)
        # Serialises read-check-write use cases inside one process (the local server's threads, a warm
        # Lambda). Across processes the stores' conditional writes are the guard.
        self._lock = threading.RLock()

    # -- accounts ---------------------------------------------------------------------------------

    def create_account(
        self, account_id: str, *, role: Role = Role.TRADER, name: str = "", starting_cash: Decimal | None = None
    ) -> Account:
        fields: dict = {"id": account_id, "role": role, "name": name, "created_at": self.clock()}
        if starting_cash is not None:
            fields["starting_cash"] = starting_cash
        account = self.store.accounts.add(Account(**fields))
        self.desk.audit(account.id, AuditKind.ACCOUNT, "system", created=True, role=role.value)
        return account

    def ensure_account(self, account_id: str, *, role: Role = Role.TRADER) -> Account:
        try:
            return self.store.accounts.get(account_id)
        except NotFound:
            try:
                return self.create_account(account_id, role=role)
            except AlreadyExists:
                return self.store.accounts.get(account_id)

    def account(self, account_id: str) -> Account:
        return self.store.accounts.get(account_id)

    # -- orders -----------------------------------------------------------------------------------

    def place_order(
        self, account_id: str, request: OrderRequest, *, idempotency_key: str | None = None, source: str = "api"
    ) -> Order:
        """Validate, risk-check, store and route an order. A risk rejection is stored, then raised.

        With ``idempotency_key`` the order id is derived from (account, key), so the store's conditional
        insert makes a retry land on the same order: the same request gets it back, another one is refused.
        Powertools' idempotency utility would keep a second record beside the order; deriving the id keeps
        the guarantee in the order's own write, the same on SQLite and DynamoDB.
        """
        instrument = self.catalog.get(request.symbol)
        request.check_against(instrument)
        account = self.store.accounts.get(account_id)
        fingerprint = request.fingerprint()
        order_id = derived_id(account_id, idempotency_key) if idempotency_key else new_id()
        with self._lock:
            if idempotency_key:
                replay = self._replay(order_id, fingerprint)
                if replay is not None:
                    return replay
            decision = self._check(account, request)
            now = self.clock()
            order = Order(
                **request.model_dump(), id=order_id, account_id=account_id, created_at=now, updated_at=now,
                source=source, request_fingerprint=fingerprint,
            )
            try:
                order = self.store.orders.add(order)
            except AlreadyExists:
                replay = self._replay(order_id, fingerprint)
                if replay is not None:
                    return replay
                raise
            self._audit_decision(account_id, order.id, decision, request)
            return self._route(order, decision)

    def _replay(self, order_id: str, fingerprint: str) -> Order | None:
        try:
            existing = self.store.orders.get(order_id)
        except NotFound:
            return None
        if existing.request_fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used for a different order.", order_id=existing.id
            )
        if existing.status is OrderStatus.REJECTED:
            raise RiskRejected(existing.reason or "Rejected.", order_id=existing.id, reasons=existing.reject_codes)
        if existing.status is OrderStatus.NEW:  # an earlier attempt stopped before routing: finish it
            account = self.store.accounts.get(existing.account_id)
            decision = self._check(account, existing.request(), exclude_order_id=existing.id)
            return self._route(existing, decision)
        return existing

    def _route(self, order: Order, decision: RiskDecision) -> Order:
        if not decision.approved:
            order.reject_codes = [r.code for r in decision.reasons]
            self.desk.change_status(order, OrderStatus.REJECTED, "risk", decision.message)
            self.store.orders.update(order)
            raise RiskRejected(
                decision.message, order_id=order.id, reasons=[r.model_dump() for r in decision.reasons]
            )
        return self.desk.submit(order, actor=order.source)

    def stage_order(self, account_id: str, request: OrderRequest, *, source: str = "chat") -> Ticket:
        """An order from a chat: risk-checked and held as a ticket until ``confirm_order``. Raises RiskRejected."""
        return self.confirmations.stage(account_id, request, source)

    def confirm_order(self, account_id: str, code: str) -> Order:
        """Execute a ticket once, after a second risk check and a price-drift check (PriceMoved re-asks)."""
        return self.confirmations.confirm(account_id, code)

    def decline_order(self, account_id: str, code: str | None = None) -> Order:
        return self.confirmations.reject(account_id, code)

    def pending_confirmations(self, account_id: str) -> list[Order]:
        return self.confirmations.pending(account_id)

    def check_risk(self, account_id: str, request: OrderRequest) -> RiskDecision:
        """A what-if: the decision the gate would take now, with nothing stored."""
        request.check_against(self.catalog.get(request.symbol))
        return self._check(self.store.accounts.get(account_id), request)

    def cancel_order(self, account_id: str, order_id: str, *, actor: str | None = None) -> Order:
        with self._lock:
            order = self.get_order(account_id, order_id)
            if order.status.is_final:
                raise Conflict(f"Order {order.id} is already {order.status.value}.", order_id=order.id)
            return self.desk.cancel(order, actor or account_id)

    def cancel_all(self, account_id: str) -> list[Order]:
        with self._lock:
            working = self.store.orders.list_for_account(account_id, open_only=True)
            return [self.desk.cancel(order, account_id) for order in working]

    def get_order(self, account_id: str, order_id: str) -> Order:
        """An order of this account; another account's order is NotFound, not Forbidden, to reveal nothing."""
        try:
            order = self.store.orders.get(order_id.strip().upper())
        except NotFound:
            order = None
        if order is None or order.account_id != account_id:
            raise NotFound(f"No order {order_id} on account {account_id}.", order_id=order_id)
        return order

    def list_orders(self, account_id: str, *, open_only: bool = False, limit: int = 100) -> list[Order]:
        return self.store.orders.list_for_account(account_id, open_only=open_only, limit=limit)

    # -- positions and market -------------------------------------------------------------------

    def positions(self, account_id: str) -> list[PositionView]:
        held = [p for p in self.store.positions.list_for_account(account_id) if not p.is_flat]
        quotes = self.store.quotes.get_many([p.symbol for p in held])
        return [value_position(p, self.catalog.get(p.symbol), quotes.get(p.symbol)) for p in held]

    def portfolio(self, account_id: str) -> PortfolioView:
        account = self.store.accounts.get(account_id)
        positions = self.store.positions.list_for_account(account_id)
        symbols = [p.symbol for p in positions]
        return build_portfolio(
            account.id, account.currency, account.starting_cash, positions,
            {s: self.catalog.get(s) for s in symbols}, self.store.quotes.get_many(symbols),
        )

    def quote(self, symbol: str) -> Quote:
        instrument = self.catalog.get(symbol)
        quote = self.store.quotes.get(instrument.symbol)
        if quote is None:
            raise QuoteUnavailable(f"No quote for {instrument.symbol} yet.", symbol=instrument.symbol)
        return quote

    def on_quote(self, quote: Quote) -> list[Order]:
        """A new market quote: cache it, let the broker work the resting orders on its symbol, then mark
        the alerts it meets as triggered. Returns the orders it changed."""
        self.catalog.get(quote.symbol)
        with self._lock:
            if not self.store.quotes.put(quote):
                return []  # stale or replayed: orders were already evaluated against a newer quote
            changed = self.desk.on_quote(quote)
            self._trigger_alerts(quote)
            return changed

    # -- alerts ----------------------------------------------------------------------------------

    def set_alert(self, account_id: str, symbol: str, condition: AlertCondition, threshold: Decimal) -> Alert:
        instrument = self.catalog.get(symbol)
        quote = self.store.quotes.get(instrument.symbol)
        if condition is AlertCondition.PCT_MOVE and quote is None:
            raise QuoteUnavailable(f"No price for {instrument.symbol} yet to measure a move from.")
        alert = Alert(
            id=new_id(), account_id=account_id, symbol=instrument.symbol, condition=condition,
            threshold=threshold, reference_price=quote.mark if quote else None, created_at=self.clock(),
        )
        stored = self.store.alerts.add(alert)
        self.desk.audit(account_id, AuditKind.ALERT, account_id, alert_id=stored.id, set=stored.describe())
        return stored

    def list_alerts(self, account_id: str) -> list[Alert]:
        return self.store.alerts.list_for_account(account_id)

    def delete_alert(self, account_id: str, alert_id: str) -> Alert:
        try:
            alert = self.store.alerts.get(alert_id.strip().upper())
        except NotFound:
            alert = None
        if alert is None or alert.account_id != account_id:
            raise NotFound(f"No alert {alert_id} on account {account_id}.", alert_id=alert_id)
        self.store.alerts.delete(alert.id)
        self.desk.audit(account_id, AuditKind.ALERT, account_id, alert_id=alert.id, deleted=True)
        return alert

    def _trigger_alerts(self, quote: Quote) -> None:
        for alert in self.store.alerts.list_active_for_symbol(quote.symbol):
            if not alert.is_met_by(quote):
                continue
            alert.status = AlertStatus.TRIGGERED
            alert.triggered_at = quote.time
            alert.triggered_price = quote.mark
            try:
                self.store.alerts.update(alert)
            except ConcurrentUpdate:
                continue  # triggered or deleted elsewhere meanwhile
            self.desk.audit(
                alert.account_id, AuditKind.ALERT, "market", alert_id=alert.id,
                triggered=alert.describe(), price=str(quote.mark),
            )

    # -- limits and kill switches ----------------------------------------------------------------

    def limits(self, account_id: str) -> RiskLimits:
        return self.store.accounts.get(account_id).limits

    def set_limits(self, actor: Account, account_id: str, limits: RiskLimits) -> RiskLimits:
        _require_admin(actor)
        with self._lock:
            account = self.store.accounts.get(account_id)
            before = account.limits
            account.limits = limits.model_copy(update={"kill_switch": before.kill_switch})
            stored = self.store.accounts.update(account)
            self.desk.audit(
                account_id, AuditKind.LIMITS_CHANGED, actor.id,
                before=before.model_dump(mode="json"), after=stored.limits.model_dump(mode="json"),
            )
            return stored.limits

    def set_kill_switch(self, actor: Account, *, engaged: bool, account_id: str | None = None) -> list[Order]:
        """Engage or release a kill switch, for one account or (no account) for the whole platform.

        Engaging also cancels the working orders in its scope. Returns the orders it cancelled.
        """
        _require_admin(actor)
        with self._lock:
            if account_id is None:
                settings = self.store.settings.get()
                settings.global_kill_switch = engaged
                self.store.settings.save(settings)
                scope = [a.id for a in self.store.accounts.list()]
                self.desk.audit("*", AuditKind.KILL_SWITCH, actor.id, scope="global", engaged=engaged)
            else:
                account = self.store.accounts.get(account_id)
                account.limits = account.limits.model_copy(update={"kill_switch": engaged})
                self.store.accounts.update(account)
                scope = [account_id]
                self.desk.audit(account_id, AuditKind.KILL_SWITCH, actor.id, scope="account", engaged=engaged)
            if not engaged:
                return []
            cancelled = []
            for member in scope:
                for order in self.store.orders.list_for_account(member, open_only=True):
                    cancelled.append(self.desk.cancel(order, actor.id, reason="kill switch engaged"))
            return cancelled

    def realised_pnl_today(self, account_id: str) -> Decimal:
        """P&L realised by fills since 00:00 UTC: the figure the daily loss limit watches."""
        midnight = self.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        return sum((f.realised_pnl for f in self.store.fills.list_for_account(account_id, since=midnight)), Decimal(0))

    def kill_switch_state(self) -> bool:
        return self.store.settings.get().global_kill_switch

    def audit_trail(self, account_id: str, limit: int | None = None) -> list[AuditRecord]:
        return self.store.audit.list_for_account(account_id, limit=limit)

    # -- internals -------------------------------------------------------------------------------

    def _check(self, account: Account, request: OrderRequest, exclude_order_id: str | None = None) -> RiskDecision:
        now = self.clock()
        positions = self.store.positions.list_for_account(account.id)
        symbols = sorted({p.symbol for p in positions} | {request.symbol})
        quotes = self.store.quotes.get_many(symbols)
        realised_today = self.realised_pnl_today(account.id)
        return check_order(
            request,
            RiskContext(
                account=account,
                instrument=self.catalog.get(request.symbol),
                quote=quotes.get(request.symbol),
                now=now,
                positions=positions,
                instruments={s: self.catalog.get(s) for s in symbols},
                quotes=quotes,
                recent_orders=[
                    o for o in self.store.orders.list_for_account(account.id, since=now - RECENT_ORDER_WINDOW)
                    if o.id != exclude_order_id  # an order being resumed is not its own duplicate
                ],
                realised_pnl_today=realised_today,
                global_kill_switch=self.store.settings.get().global_kill_switch,
            ),
        )

    def _audit_decision(self, account_id: str, order_id: str, decision: RiskDecision, request: OrderRequest) -> None:
        self.desk.audit(
            account_id, AuditKind.RISK_DECISION, "risk", order_id,
            approved=decision.approved, reasons=[r.code for r in decision.reasons], message=decision.message,
            request=request.model_dump(mode="json"),
        )


def _require_admin(actor: Account) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("Only an admin can do that.", account_id=actor.id)
