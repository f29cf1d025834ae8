"""The REST routes: decode, call a use case (core/usecases), encode. No trading logic lives here."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Query, Request

from core import usecases as uc
from core.accounts import Account, TradingState
from core.errors import BadRequest, NotFound, UnknownSymbol
from core.numbers import Count
from core.orders import OrderRequest, utcnow
from core.portfolio import PortfolioView
from core.risk_limits import RiskLimits
from functions.api.auth import Admin, Caller, Parley
from functions.api.errors import responses_for
from functions.api.guard import api_router
from functions.api.pages import MAX_PAGE, Cursor, after, by_symbol, cut, newest_first, page
from functions.api.schemas import (
    Health,
    KillSwitchIn,
    KillSwitchOut,
    LimitsOut,
    OrderList,
    OrderOut,
    PositionList,
    QuoteOut,
    shown_portfolio,
    shown_position,
)
from infra.bootstrap import Platform

router = api_router()
# An Idempotency-Key is 1 to 255 visible ASCII characters (no spaces), exactly as the document says.
KEY_PATTERN = r"^[!-~]{1,255}$"
_KEY = re.compile(KEY_PATTERN, re.ASCII)
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": True,
    "description": "Any 1 to 255 visible ASCII characters, chosen by the client for each new order. The same key "
                   "with the same body returns the order already placed; with another body it is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
}


# Other POSTs that create something (alerts, signal sources) honour the key when it is sent.
OPTIONAL_IDEMPOTENCY_KEY = {
    **IDEMPOTENCY_KEY, "required": False,
    "description": "Optional: any 1 to 255 visible ASCII characters. The same key with the same body returns the "
                   "record already created instead of a second one; with another body it is a 422.",
}


def idempotency_key(request: Request) -> str:
    """The Idempotency-Key header, validated here and documented by IDEMPOTENCY_KEY (so a missing key is a
    400 ``idempotency_key_required``, not a generic validation error)."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        raise BadRequest("POST /v1/orders needs an Idempotency-Key header.", code="idempotency_key_required")
    return _checked(key)


def optional_idempotency_key(request: Request) -> str | None:
    """The Idempotency-Key header if sent at all (an empty one is invalid), documented by OPTIONAL_IDEMPOTENCY_KEY."""
    key = request.headers.get("Idempotency-Key")
    return None if key is None else _checked(key)


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise BadRequest("Idempotency-Key must be 1-255 visible ASCII characters, no spaces.",
                         code="idempotency_key_invalid")
    return key


@router.get("/health", response_model=Health, tags=["ops"])
def health() -> Health:
    return Health(status="ok", time=utcnow())


@router.post("/v1/orders", status_code=201, response_model=OrderOut, tags=["orders"],
             responses=responses_for(404, 409, body=True), openapi_extra={"parameters": [IDEMPOTENCY_KEY]})
def place_order(
    order: OrderRequest, account: Caller, parley: Parley, key: Annotated[str, Depends(idempotency_key)]
) -> OrderOut:
    """Place an order. The same Idempotency-Key with the same body returns the same order."""
    placed = uc.place_order(parley.deps, account, order, idempotency_key=key, source="api")
    return OrderOut.of(placed, parley.deps.broker.venue_for)


@router.get("/v1/orders", response_model=OrderList, responses=responses_for(403, 404, 422), tags=["orders"])
def list_orders(
    account: Caller,
    parley: Parley,
    status: Annotated[str | None, Query(pattern="^(open|all)$", description="open: working orders only")] = None,
    limit: Annotated[Count, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Cursor = None,
    account_id: str | None = None,
) -> OrderList:
    """Orders, newest first, a page at a time: the store reads the page after the cursor (and one order more,
    to know whether there is a next page), not the account's history."""
    target = uc.act_for(parley.deps, account, account_id)
    orders = uc.list_orders(parley.deps, target, open_only=status == "open", limit=limit + 1, before=after(cursor))
    shown, following = cut(orders, lambda o: newest_first(o.created_at, o.id), limit)
    return OrderList(orders=[OrderOut.of(o, parley.deps.broker.venue_for) for o in shown], next_cursor=following)


@router.get("/v1/orders/{order_id}", response_model=OrderOut, responses=responses_for(403, 404), tags=["orders"])
def get_order(order_id: str, account: Caller, parley: Parley, account_id: str | None = None) -> OrderOut:
    found = uc.get_order(parley.deps, uc.act_for(parley.deps, account, account_id), order_id)
    return OrderOut.of(found, parley.deps.broker.venue_for)


@router.delete("/v1/orders/{order_id}", response_model=OrderOut, responses=responses_for(403, 404, 409),
               tags=["orders"])
def cancel_order(order_id: str, account: Caller, parley: Parley, account_id: str | None = None) -> OrderOut:
    target = uc.act_for(parley.deps, account, account_id)
    cancelled = uc.cancel_order(parley.deps, target, order_id, actor=account.id)
    return OrderOut.of(cancelled, parley.deps.broker.venue_for)


@router.get("/v1/positions", response_model=PositionList, responses=responses_for(403, 404), tags=["portfolio"])
def positions(
    account: Caller,
    parley: Parley,
    limit: Annotated[Count, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Cursor = None,
    account_id: str | None = None,
) -> PositionList:
    """Open positions by symbol (A to Z), a page at a time."""
    target = uc.act_for(parley.deps, account, account_id)
    held, following = page(uc.positions(parley.deps, target), lambda p: by_symbol(p.symbol), limit, cursor,
                           ascending=True)
    return PositionList(account_id=target.id, positions=[shown_position(p) for p in held], next_cursor=following)


@router.get("/v1/portfolio", response_model=PortfolioView, responses=responses_for(403, 404), tags=["portfolio"])
def portfolio(account: Caller, parley: Parley, account_id: str | None = None) -> PortfolioView:
    return shown_portfolio(uc.portfolio(parley.deps, uc.act_for(parley.deps, account, account_id)))


@router.get("/v1/quotes/{symbol}", response_model=QuoteOut, responses=responses_for(404), tags=["market"])
def quote(symbol: str, account: Caller, parley: Parley) -> QuoteOut:
    try:
        if not symbol.isascii() or symbol != symbol.strip():
            raise UnknownSymbol(symbol)  # "\u017fPY" upper-cases to SPY, " SPY" strips to it
        return QuoteOut.of(uc.quote(parley.deps, symbol, account))
    except UnknownSymbol as exc:  # a path that names nothing is a 404, unlike an order body's symbol
        raise NotFound(exc.message, code="unknown_symbol", symbol=symbol) from None


@router.get("/v1/risk/limits", response_model=LimitsOut, responses=responses_for(403, 404), tags=["risk"])
def get_limits(account: Caller, parley: Parley, account_id: str | None = None) -> LimitsOut:
    return limits_out(parley, uc.act_for(parley.deps, account, account_id))


@router.put("/v1/risk/limits", response_model=LimitsOut, responses=responses_for(403, 404, 409, body=True),
            tags=["risk"])
def put_limits(limits: RiskLimits, admin: Admin, parley: Parley, account_id: str | None = None) -> LimitsOut:
    """Replace an account's limits (admin only). The trading state is set with POST /v1/risk/kill-switch."""
    uc.set_limits(parley.deps, admin, account_id or admin.id, limits)
    return limits_out(parley, uc.get_account(parley.deps, account_id or admin.id))


def limits_out(parley: Platform, target: Account) -> LimitsOut:
    platform = uc.platform_state(parley.deps)
    return LimitsOut(account_id=target.id, limits=target.limits, trading_state=target.trading_state,
                     platform_trading_state=platform, global_kill_switch=platform is TradingState.HALTED)


@router.post("/v1/risk/kill-switch", response_model=KillSwitchOut, responses=responses_for(403, 404, 409, body=True),
             tags=["risk"])
def kill_switch(body: KillSwitchIn, admin: Admin, parley: Parley) -> KillSwitchOut:
    """Set the trading state of one account, or of the whole platform without account_id: ``active``,
    ``reducing`` (opening orders refused and cancelled, reducing orders and exits kept) or ``halted`` (every
    order refused and cancelled; an admin may still liquidate). ``engaged`` true/false is halted/active."""
    state = body.wanted
    cancelled = uc.set_trading_state(parley.deps, admin, state, account_id=body.account_id)
    return KillSwitchOut(
        scope="account" if body.account_id else "global",
        account_id=body.account_id,
        state=state,
        engaged=state is not TradingState.ACTIVE,
        cancelled_orders=[o.id for o in cancelled],
    )
