"""The REST routes: decode, call a use case (core/usecases), encode. No trading logic lives here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from core import usecases as uc
from core.errors import BadRequest, NotFound, UnknownSymbol
from core.orders import OrderRequest, utcnow
from core.portfolio import PortfolioView
from core.risk_limits import RiskLimits
from functions.api.auth import Admin, Caller, Parley
from functions.api.schemas import (
    Health,
    KillSwitchIn,
    KillSwitchOut,
    LimitsOut,
    OrderList,
    OrderOut,
    PositionList,
    QuoteOut,
)

router = APIRouter()
ERRORS = {401: {"description": "Missing or invalid token"}, 403: {"description": "Not allowed"}}
MAX_KEY_LENGTH = 255


@router.get("/health", response_model=Health, tags=["ops"])
def health() -> Health:
    return Health(status="ok", time=utcnow())


@router.post("/v1/orders", status_code=201, response_model=OrderOut, responses=ERRORS, tags=["orders"])
def place_order(
    order: OrderRequest,
    account: Caller,
    parley: Parley,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> OrderOut:
    """Place an order. The same Idempotency-Key with the same body returns the same order."""
    key = (idempotency_key or "").strip()
    if not key:
        raise BadRequest("POST /v1/orders needs an Idempotency-Key header.", code="idempotency_key_required")
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest("Idempotency-Key must be 1-255 printable characters.", code="idempotency_key_invalid")
    return OrderOut.of(uc.place_order(parley.deps, account, order, idempotency_key=key, source="api"))


@router.get("/v1/orders", response_model=OrderList, responses=ERRORS, tags=["orders"])
def list_orders(
    account: Caller,
    parley: Parley,
    status: Annotated[str | None, Query(pattern="^(open|all)$", description="open: working orders only")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    account_id: str | None = None,
) -> OrderList:
    target = uc.act_for(parley.deps, account, account_id)
    orders = uc.list_orders(parley.deps, target, open_only=status == "open", limit=limit)
    return OrderList(orders=[OrderOut.of(o) for o in orders])


@router.get("/v1/orders/{order_id}", response_model=OrderOut, responses=ERRORS, tags=["orders"])
def get_order(order_id: str, account: Caller, parley: Parley, account_id: str | None = None) -> OrderOut:
    return OrderOut.of(uc.get_order(parley.deps, uc.act_for(parley.deps, account, account_id), order_id))


@router.delete("/v1/orders/{order_id}", response_model=OrderOut, responses=ERRORS, tags=["orders"])
def cancel_order(order_id: str, account: Caller, parley: Parley, account_id: str | None = None) -> OrderOut:
    target = uc.act_for(parley.deps, account, account_id)
    return OrderOut.of(uc.cancel_order(parley.deps, target, order_id, actor=account.id))


@router.get("/v1/positions", response_model=PositionList, responses=ERRORS, tags=["portfolio"])
def positions(account: Caller, parley: Parley, account_id: str | None = None) -> PositionList:
    target = uc.act_for(parley.deps, account, account_id)
    return PositionList(account_id=target.id, positions=uc.positions(parley.deps, target))


@router.get("/v1/portfolio", response_model=PortfolioView, responses=ERRORS, tags=["portfolio"])
def portfolio(account: Caller, parley: Parley, account_id: str | None = None) -> PortfolioView:
    return uc.portfolio(parley.deps, uc.act_for(parley.deps, account, account_id))


@router.get("/v1/quotes/{symbol}", response_model=QuoteOut, responses=ERRORS, tags=["market"])
def quote(symbol: str, account: Caller, parley: Parley) -> QuoteOut:
    try:
        return QuoteOut.of(uc.quote(parley.deps, symbol))
    except UnknownSymbol as exc:  # a path that names nothing is a 404, unlike an order body's symbol
        raise NotFound(exc.message, code="unknown_symbol", symbol=symbol) from None


@router.get("/v1/risk/limits", response_model=LimitsOut, responses=ERRORS, tags=["risk"])
def get_limits(account: Caller, parley: Parley, account_id: str | None = None) -> LimitsOut:
    target = uc.act_for(parley.deps, account, account_id)
    return LimitsOut(
        account_id=target.id, limits=target.limits, global_kill_switch=uc.kill_switch_state(parley.deps)
    )


@router.put("/v1/risk/limits", response_model=LimitsOut, responses=ERRORS, tags=["risk"])
def put_limits(limits: RiskLimits, admin: Admin, parley: Parley, account_id: str | None = None) -> LimitsOut:
    """Replace an account's limits (admin only). The kill switch is set with POST /v1/risk/kill-switch."""
    target = account_id or admin.id
    stored = uc.set_limits(parley.deps, admin, target, limits)
    return LimitsOut(account_id=target, limits=stored, global_kill_switch=uc.kill_switch_state(parley.deps))


@router.post("/v1/risk/kill-switch", response_model=KillSwitchOut, responses=ERRORS, tags=["risk"])
def kill_switch(body: KillSwitchIn, admin: Admin, parley: Parley) -> KillSwitchOut:
    """Engage (cancelling working orders) or release a kill switch: one account, or all without account_id."""
    cancelled = uc.set_kill_switch(parley.deps, admin, engaged=body.engaged, account_id=body.account_id)
    return KillSwitchOut(
        scope="account" if body.account_id else "global",
        account_id=body.account_id,
        engaged=body.engaged,
        cancelled_orders=[o.id for o in cancelled],
    )
