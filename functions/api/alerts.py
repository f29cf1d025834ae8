"""Alerts, notifications and signal sources: GET/POST /v1/alerts, DELETE /v1/alerts/{id}, GET /v1/notifications,
POST /v1/signal-sources. Each decodes, calls a use case, encodes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from core import usecases as uc
from core.alerts import Alert, AlertCondition, AlertStatus, RiskMeasure
from core.notifications import Notification, NotificationKind
from core.numbers import PATTERN, Count, read_amount
from core.signals import SignalMode
from functions.api.auth import Caller, Parley
from functions.api.errors import responses_for
from functions.api.guard import api_router
from functions.api.pages import MAX_PAGE, Cursor, after, cut, newest_first
from functions.api.routes import OPTIONAL_IDEMPOTENCY_KEY, optional_idempotency_key

router = api_router()
WEEK = 7 * 86_400
Key = Annotated[str | None, Depends(optional_idempotency_key)]


def _signed(value: Any) -> Decimal:
    """An amount that may be negative (a P&L threshold), read as strictly as every other amount."""
    if isinstance(value, str) and value.startswith("-"):
        return -read_amount(value[1:])
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool) and value < 0:
        return -read_amount(-value)
    return read_amount(value)


Threshold = Annotated[
    Decimal,
    BeforeValidator(_signed),
    PlainSerializer(lambda value: format(value, "f"), return_type=str, when_used="json"),
    WithJsonSchema({
        "anyOf": [{"type": "number", "exclusiveMinimum": -(10**15), "exclusiveMaximum": 10**15},
                  {"type": "string", "pattern": "^-?" + PATTERN.removeprefix("^")}],
        "description": "A price (above, below), a percent (pct_move, risk_usage_above) or an amount (pnl_above, "
                       "pnl_below; negative for a loss), as a decimal string or a JSON number",
    }),
]


class AlertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9.\-/]+$")
    condition: AlertCondition
    threshold: Threshold
    window_seconds: int | None = Field(default=None, gt=0, le=WEEK,
                                       description="pct_move only: the move must happen within this many seconds")
    risk_limit: RiskMeasure | None = Field(default=None, description="risk_usage_above only (default gross exposure)")
    repeat: bool = Field(default=False, description="Fire again after each cooldown instead of once")
    cooldown_seconds: int | None = Field(default=None, ge=0, le=WEEK, description="Repeating alerts (default 300)")


class AlertOut(BaseModel):
    id: str
    symbol: str
    condition: AlertCondition
    threshold: Decimal
    window_seconds: int | None
    risk_limit: RiskMeasure | None
    reference_price: Decimal | None
    repeat: bool
    cooldown_seconds: int
    status: AlertStatus
    created_at: datetime
    triggered_at: datetime | None
    triggered_price: Decimal | None
    trigger_count: int
    description: str

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        return cls(**alert.model_dump(include=set(cls.model_fields) - {"description"}), description=alert.describe())


class AlertList(BaseModel):
    alerts: list[AlertOut]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null: no more")


class NotificationOut(BaseModel):
    id: str
    account_id: str
    kind: NotificationKind
    text: str
    data: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, notification: Notification) -> NotificationOut:
        return cls(**notification.model_dump(include=set(cls.model_fields)))


class NotificationList(BaseModel):
    notifications: list[NotificationOut]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null: no more")


class SignalSourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
    mode: SignalMode = Field(description="notify: tell the trader; stage: a ticket the trader confirms")


class SignalSourceOut(BaseModel):
    id: str
    name: str
    mode: SignalMode
    secret: str = Field(description="Shown once: sign requests with it, or send it as the body's passphrase")
    webhook_path: str
    created_at: datetime


@router.get("/v1/alerts", response_model=AlertList, responses=responses_for(422), tags=["alerts"])
def list_alerts(
    account: Caller, parley: Parley,
    status: Annotated[str | None, Query(pattern="^(all)$", description="all: cancelled alerts too")] = None,
    limit: Annotated[Count, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Cursor = None,
) -> AlertList:
    """Your alerts, newest first, a page at a time."""
    alerts = uc.list_alerts(parley.deps, account, include_cancelled=status == "all", limit=limit + 1,
                            before=after(cursor))  # the page after the cursor, and one more: is there a next?
    shown, following = cut(alerts, lambda a: newest_first(a.created_at, a.id), limit)
    return AlertList(alerts=[AlertOut.of(a) for a in shown], next_cursor=following)


@router.post("/v1/alerts", status_code=201, response_model=AlertOut, responses=responses_for(404, 409, body=True),
             tags=["alerts"], openapi_extra={"parameters": [OPTIONAL_IDEMPOTENCY_KEY]})
def set_alert(body: AlertIn, account: Caller, parley: Parley, key: Key) -> AlertOut:
    """Set an alert; the trader is notified when it is met (once, or after each cooldown with ``repeat``).
    The same Idempotency-Key with the same body returns the same alert."""
    alert = uc.set_alert(
        parley.deps, account, body.symbol, body.condition, body.threshold, window_seconds=body.window_seconds,
        risk_limit=body.risk_limit, repeat=body.repeat, cooldown_seconds=body.cooldown_seconds, idempotency_key=key,
    )
    return AlertOut.of(alert)


@router.delete("/v1/alerts/{alert_id}", response_model=AlertOut, responses=responses_for(404, 409),
               tags=["alerts"])
def cancel_alert(alert_id: str, account: Caller, parley: Parley) -> AlertOut:
    """Cancel one of your alerts; it is kept, cancelled, for the record."""
    return AlertOut.of(uc.delete_alert(parley.deps, account, alert_id))


@router.get("/v1/notifications", response_model=NotificationList, responses=responses_for(422),
            tags=["alerts"])
def list_notifications(
    account: Caller, parley: Parley, limit: Annotated[Count, Query(ge=1, le=200)] = 50, cursor: Cursor = None,
) -> NotificationList:
    """Your notifications (fills, rejections, expiries, alerts, kill switches, signals), newest first, a page at
    a time: the store reads the page after the cursor and one more (is there a next page?)."""
    found = uc.list_notifications(parley.deps, account, limit=limit + 1, before=after(cursor))
    shown, following = cut(found, lambda n: newest_first(n.created_at, n.id), limit)
    return NotificationList(notifications=[NotificationOut.of(n) for n in shown], next_cursor=following)


@router.post("/v1/signal-sources", status_code=201, response_model=SignalSourceOut,
             responses=responses_for(409, body=True), tags=["alerts"],
             openapi_extra={"parameters": [OPTIONAL_IDEMPOTENCY_KEY]})
def register_signal_source(body: SignalSourceIn, account: Caller, parley: Parley, key: Key) -> SignalSourceOut:
    """Register a system (a TradingView alert, a risk engine) that may post signals to
    POST /webhooks/signals/{id}. The secret is shown here only (and to a retry under the same Idempotency-Key)."""
    source = uc.register_signal_source(parley.deps, account, body.name, body.mode, idempotency_key=key)
    return SignalSourceOut(id=source.id, name=source.name, mode=source.mode, secret=source.secret,
                           webhook_path=f"/webhooks/signals/{source.id}", created_at=source.created_at)
