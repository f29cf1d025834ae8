"""Wire shapes of the REST API. Order field names are a public contract; decimals travel as strings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus
from core.portfolio import PositionView
from core.risk_limits import RiskLimits


class OrderOut(OrderRequest):
    id: str
    account_id: str
    status: OrderStatus
    filled_quantity: Decimal
    average_price: Decimal | None
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    parent_id: str | None = None
    source: str

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls.model_validate(order.model_dump(include=set(cls.model_fields)))


class OrderList(BaseModel):
    orders: list[OrderOut]


class PositionList(BaseModel):
    account_id: str
    positions: list[PositionView]


class QuoteOut(BaseModel):
    symbol: str
    bid: Decimal
    ask: Decimal
    mid: Decimal
    last: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    time: datetime
    source: str

    @classmethod
    def of(cls, quote: Quote) -> QuoteOut:
        return cls(**quote.model_dump(), mid=quote.mid)


class LimitsOut(BaseModel):
    account_id: str
    limits: RiskLimits
    global_kill_switch: bool


class KillSwitchIn(BaseModel):
    engaged: bool
    account_id: str | None = Field(default=None, description="Omit for the platform-wide kill switch.")


class KillSwitchOut(BaseModel):
    scope: str
    account_id: str | None
    engaged: bool
    cancelled_orders: list[str]


class Health(BaseModel):
    status: str
    time: datetime

