"""Price alerts: set, list, delete, and trigger on a quote."""

from __future__ import annotations

from decimal import Decimal

from core.alerts import Alert, AlertCondition, AlertStatus
from core.audit import AuditKind
from core.errors import NotFound, QuoteUnavailable
from core.ids import new_id
from core.market import Quote
from core.ports.store import UnitOfWork
from core.usecases.accounts import AccountRef, get_account
from core.usecases.deps import Deps
from core.usecases.journal import audit


def set_alert(deps: Deps, account: AccountRef, symbol: str, condition: AlertCondition, threshold: Decimal) -> Alert:
    account_id = get_account(deps, account).id
    instrument = deps.catalog.get(symbol)
    quote = deps.store.quotes.get(instrument.symbol)
    if condition is AlertCondition.PCT_MOVE and quote is None:
        raise QuoteUnavailable(f"No price for {instrument.symbol} yet to measure a move from.")
    alert = Alert(
        id=new_id(), account_id=account_id, symbol=instrument.symbol, condition=condition,
        threshold=threshold, reference_price=quote.mark if quote else None, created_at=deps.now(),
    )
    with deps.store.unit() as uow:
        stored = uow.alerts.add(alert)
        audit(uow, deps.now(), account_id, AuditKind.ALERT, account_id, alert_id=stored.id, set=stored.describe())
        uow.commit()
    return stored


def list_alerts(deps: Deps, account: AccountRef) -> list[Alert]:
    return deps.store.alerts.list_for_account(get_account(deps, account).id)


def delete_alert(deps: Deps, account: AccountRef, alert_id: str) -> Alert:
    account_id = get_account(deps, account).id
    with deps.store.unit() as uow:
        try:
            alert = uow.alerts.get(alert_id.strip().upper())
        except NotFound:
            alert = None
        if alert is None or alert.account_id != account_id:
            raise NotFound(f"No alert {alert_id} on account {account_id}.", alert_id=alert_id)
        uow.alerts.delete(alert.id)
        audit(uow, deps.now(), account_id, AuditKind.ALERT, account_id, alert_id=alert.id, deleted=True)
        uow.commit()
    return alert


def trigger(deps: Deps, uow: UnitOfWork, quote: Quote) -> list[Alert]:
    """Mark the active alerts on the quote's symbol that it meets as triggered, in the caller's unit."""
    fired = []
    for alert in uow.alerts.list_active_for_symbol(quote.symbol):
        if not alert.is_met_by(quote):
            continue
        alert.status = AlertStatus.TRIGGERED
        alert.triggered_at = quote.time
        alert.triggered_price = quote.mark
        fired.append(uow.alerts.update(alert))
        audit(uow, deps.now(), alert.account_id, AuditKind.ALERT, "market", alert_id=alert.id,
              triggered=alert.describe(), price=str(quote.mark))
    return fired
