"""Changing a working order and closing positions: PATCH /v1/orders/{id}, DELETE /v1/positions[/{symbol}]."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from core import usecases as uc
from core.numbers import Amount
from core.venues import Venue
from functions.api.auth import Caller, Parley
from functions.api.errors import responses_for
from functions.api.guard import api_router
from functions.api.schemas import OrderList, OrderOut

router = api_router()


class OrderChange(BaseModel):
    """What to change on a working order; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    quantity: Amount | None = Field(default=None, description="The new total quantity, above what has filled")
    limit_price: Amount | None = None
    stop_price: Amount | None = None
    trail_amount: Amount | None = None
    trail_percent: Amount | None = None


@router.patch("/v1/orders/{order_id}", response_model=OrderOut, responses=responses_for(403, 404, 409, body=True),
              tags=["orders"])
def modify_order(
    order_id: str, change: OrderChange, account: Caller, parley: Parley, account_id: str | None = None
) -> OrderOut:
    """Change a working order's quantity, limit or stop price, or trail (bracket exits too). The changed
    order is checked by the risk gate as a new one; a new quantity must stay above what has filled."""
    target = uc.act_for(parley.deps, account, account_id)
    changed = uc.modify_order(parley.deps, target, order_id, actor=account.id, **change.model_dump())
    return OrderOut.of(changed, parley.deps.broker.venue_for)


Fraction = Annotated[Decimal, Field(gt=0, le=1)]


class CloseOut(OrderOut):
    """The close placed, and the working orders it cancelled or shrank to make room for it."""

    cancelled_orders: list[str] = Field(default_factory=list, description="Reducing orders the close cancelled")
    resized_orders: list[str] = Field(default_factory=list, description="Exits shrunk to what a part close leaves")

    @classmethod
    def closed(cls, closed: uc.Closed, venue_for: Callable[[str], Venue] | None = None) -> CloseOut:
        return cls.model_validate(OrderOut.of(closed.order, venue_for).model_dump() | {
            "cancelled_orders": closed.cancelled, "resized_orders": closed.resized})


class SymbolCloseOut(BaseModel):
    symbol: str
    status: str = Field(description="closed, or refused")
    order_id: str | None = None
    cancelled_orders: list[str] = Field(default_factory=list)
    code: str | None = Field(default=None, description="Why it was refused, e.g. market_closed")
    message: str | None = None


class ClosedAllOut(OrderList):
    results: list[SymbolCloseOut] = Field(description="Per symbol: what was closed, what was refused and why")


@router.delete("/v1/positions/{symbol}", response_model=CloseOut, responses=responses_for(403, 404, 409, 422),
               tags=["portfolio"])
def close_position(
    symbol: str,
    account: Caller,
    parley: Parley,
    quantity: Annotated[Amount | None, Query(description="Close this many (default: all)")] = None,
    fraction: Annotated[Fraction | None, Query(description="Or this part of it, e.g. 0.5")] = None,
    account_id: str | None = None,
) -> OrderOut:
    """Place the market order that closes the position (all of it, a quantity, or a fraction). In the same unit
    a full close cancels the symbol's working orders that reduce the position (exits, stops, limits), a part
    close shrinks them to what it leaves; a close already in flight is kept, and a retry closes only the rest."""
    target = uc.act_for(parley.deps, account, account_id)
    closed = uc.close_position(parley.deps, account, target, symbol, quantity=quantity, fraction=fraction)
    return CloseOut.closed(closed, parley.deps.broker.venue_for)


@router.delete("/v1/positions", response_model=ClosedAllOut, responses=responses_for(403, 404, 409),
               tags=["portfolio"])
def close_all(account: Caller, parley: Parley, account_id: str | None = None) -> ClosedAllOut:
    """Close every open position of the account, one market order each: what can be closed now is closed, and
    ``results`` says per symbol what was closed and what was refused and why (a market that is shut)."""
    target = uc.act_for(parley.deps, account, account_id)
    done = uc.close_all(parley.deps, account, target)
    results = [
        SymbolCloseOut(symbol=r.symbol, status="closed" if r.closed else "refused",
                       order_id=r.order.id if r.order is not None else None, cancelled_orders=r.cancelled,
                       code=r.code, message=r.message)
        for r in done.results
    ]
    venue_for = parley.deps.broker.venue_for
    return ClosedAllOut(orders=[OrderOut.of(o, venue_for) for o in done.orders], results=results)
