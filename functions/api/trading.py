"""Changing a working order and closing positions: PATCH /v1/orders/{id}, DELETE /v1/positions[/{symbol}]."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from core import usecases as uc
from core.numbers import Amount
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


@router.delete("/v1/positions/{symbol}", response_model=OrderOut, responses=responses_for(403, 404, 409, 422),
               tags=["portfolio"])
def close_position(
    symbol: str,
    account: Caller,
    parley: Parley,
    quantity: Annotated[Amount | None, Query(description="Close this many (default: all)")] = None,
    fraction: Annotated[Fraction | None, Query(description="Or this part of it, e.g. 0.5")] = None,
    account_id: str | None = None,
) -> OrderOut:
    """Place the market order that closes the position (all of it, a quantity, or a fraction)."""
    target = uc.act_for(parley.deps, account, account_id)
    closing = uc.close_position(parley.deps, account, target, symbol, quantity=quantity, fraction=fraction)
    return OrderOut.of(closing, parley.deps.broker.venue_for)


@router.delete("/v1/positions", response_model=OrderList, responses=responses_for(403, 404, 409), tags=["portfolio"])
def close_all(account: Caller, parley: Parley, account_id: str | None = None) -> OrderList:
    """Close every open position of the account, one market order each."""
    target = uc.act_for(parley.deps, account, account_id)
    closing = uc.close_all(parley.deps, account, target)
    return OrderList(orders=[OrderOut.of(o, parley.deps.broker.venue_for) for o in closing])
