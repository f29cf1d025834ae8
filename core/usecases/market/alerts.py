"""Alerts: set, list and cancel. Firing is the alert engine's (core/usecases/market/alert_engine.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import ValidationError

from core.alerts import Alert, AlertCondition, AlertStatus, RiskMeasure
from core.audit import AuditKind
from core.errors import AlreadyExists, InvalidRequest, NotFound, QuoteUnavailable, require_room
from core.ids import fingerprint
from core.usecases.admin.accounts import AccountRef, get_account
from core.usecases.common import idempotent
from core.usecases.common.deps import Deps
from core.usecases.common.journal import audit
from core.usecases.common.retry import on_conflict

DEFAULT_COOLDOWN_SECONDS = 300


def set_alert(
    deps: Deps, account: AccountRef, symbol: str, condition: AlertCondition, threshold: Decimal, *,
    window_seconds: int | None = None, risk_limit: RiskMeasure | None = None, repeat: bool = False,
    cooldown_seconds: int | None = None, idempotency_key: str | None = None,
) -> Alert:
    """With ``idempotency_key`` a retry of the same request gets the alert already set, not a second one."""
    account_id = get_account(deps, account).id
    instrument = deps.catalog.get(symbol)
    asked = fingerprint({"symbol": instrument.symbol, "condition": condition.value, "threshold": threshold,
                         "window_seconds": window_seconds, "risk_limit": risk_limit and risk_limit.value,
                         "repeat": repeat, "cooldown_seconds": cooldown_seconds})
    alert_id = idempotent.record_id(account_id, "alert", idempotency_key)
    reference = None
    if condition is AlertCondition.PCT_MOVE and window_seconds is None:
        quote = deps.store.quotes.get(instrument.symbol)
        if quote is None:
            raise QuoteUnavailable(f"No price for {instrument.symbol} yet to measure a move from.")
        reference = quote.mark
    elif condition.is_price:
        quote = deps.store.quotes.get(instrument.symbol)
        reference = quote.mark if quote else None
    if cooldown_seconds is None:
        cooldown_seconds = DEFAULT_COOLDOWN_SECONDS if repeat else 0
    try:
        alert = Alert(
            id=alert_id, account_id=account_id, symbol=instrument.symbol, condition=condition, threshold=threshold,
            reference_price=reference, window_seconds=window_seconds, risk_limit=risk_limit, repeat=repeat,
            cooldown_seconds=cooldown_seconds, created_at=deps.now(),
            request_fingerprint=asked if idempotency_key else None,
        )
    except ValidationError as exc:
        message = "; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())
        raise InvalidRequest(f"Cannot set that alert: {message}.", code="invalid_alert") from None
    if _alert_or_none(deps, alert_id) is None:  # a retry under the same key is answered below, not counted
        held = sum(a.status is AlertStatus.ACTIVE for a in deps.store.alerts.list_for_account(account_id))
        require_room(get_account(deps, account_id).limits.max_alerts, held, "max_alerts", "active alerts")

    def attempt() -> Alert:
        with deps.store.unit() as uow:
            stored = uow.alerts.add(alert)
            uow.alerts.log_change(stored, deps.now())
            audit(uow, deps.now(), account_id, AuditKind.ALERT, account_id, alert_id=stored.id,
                  set=stored.describe())
            uow.commit()
        return stored

    try:
        return on_conflict(attempt)  # the change log takes one number per unit; two units racing for it retry
    except AlreadyExists as taken:
        if not idempotency_key:
            raise
        return idempotent.replayed(_alert_or_none(deps, alert_id), asked, taken, "alert")


def _alert_or_none(deps: Deps, alert_id: str) -> Alert | None:
    try:
        return deps.store.alerts.get(alert_id)
    except NotFound:
        return None


def list_alerts(
    deps: Deps, account: AccountRef, *, include_cancelled: bool = False, limit: int | None = None,
    before: tuple[datetime, str] | None = None,
) -> list[Alert]:
    """Newest first; cancelled alerts only when asked; ``before`` (created_at, id) and ``limit``: one page."""
    return deps.store.alerts.list_for_account(get_account(deps, account).id, limit=limit, before=before,
                                              cancelled=include_cancelled)


def delete_alert(deps: Deps, account: AccountRef, alert_id: str) -> Alert:
    """Cancel one of the account's alerts (kept, as cancelled, for the record). NotFound if it has none by
    that id or it is cancelled already."""
    account_id = get_account(deps, account).id
    wanted = alert_id.strip().upper()
    def attempt() -> Alert:
        with deps.store.unit() as uow:
            try:
                alert = uow.alerts.get(wanted)
            except NotFound:
                alert = None
            if alert is None or alert.account_id != account_id or alert.status is AlertStatus.CANCELLED:
                raise NotFound(f"No alert {alert_id} on account {account_id}.", alert_id=alert_id)
            alert.status = AlertStatus.CANCELLED
            cancelled = uow.alerts.update(alert)
            uow.alerts.log_change(cancelled, deps.now())
            audit(uow, deps.now(), account_id, AuditKind.ALERT, account_id, alert_id=alert.id, cancelled=True)
            uow.commit()
        return cancelled

    return on_conflict(attempt)
