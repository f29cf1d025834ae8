"""Wire shapes of the REST API. Order field names are a public contract; decimals travel as strings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.accounts import TradingState
from core.instruments import InstrumentCatalog, shown_money
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus
from core.portfolio import PortfolioView, PositionView
from core.risk_limits import RiskLimits
from core.venues import Venue, unconfirmed_words


class OrderOut(OrderRequest):
    id: str
    account_id: str
    status: OrderStatus
    filled_quantity: Decimal
    average_price: Decimal | None
    created_at: datetime
    updated_at: datetime
    reason: str | None = Field(default=None, description="Why the order stands where it does: a rejection's or a "
                               "cancellation's reason; `venue_unconfirmed` while it is pending_new")
    note: str | None = Field(default=None, description="Where the order stands, for the trader, when its status "
                             "needs words: pending_new is 'sent; waiting for Alpaca to confirm'")
    parent_id: str | None = None
    source: str

    @model_validator(mode="after")
    def _quantity_or_notional(self) -> OrderOut:
        return self  # an order always has its quantity, and its notional too when that is what was asked

    @classmethod
    def of(cls, order: Order, venue_for: Callable[[str], Venue] | None = None) -> OrderOut:
        """The order as shown; ``venue_for`` (the broker's) names the venue in the note."""
        shown = cls.model_validate(order.model_dump(include=set(cls.model_fields) - {"note"}))
        if order.status is OrderStatus.PENDING_NEW:
            shown.note = unconfirmed_words(venue_for(order.account_id) if venue_for is not None else None)
        if order.average_price is not None:  # exact inside; shown to the tick's places plus four
            shown.average_price = _shown_price(order.symbol, order.average_price)
        return shown


class OrderList(BaseModel):
    orders: list[OrderOut]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null: no more")


class PositionList(BaseModel):
    account_id: str
    positions: list[PositionView]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null: no more")


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
    trading_state: TradingState = Field(description="The account's: active, reducing or halted.")
    platform_trading_state: TradingState = Field(description="The whole platform's: active, reducing or halted.")
    global_kill_switch: bool = Field(description="The platform is halted (platform_trading_state is halted).")


class KillSwitchIn(BaseModel):
    """Give ``state``, or ``engaged`` as before trading states (true is halted, false is active)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    state: TradingState | None = Field(
        default=None, strict=False,  # its JSON string names it; strict would want the Python enum
        description="active; reducing (only orders that reduce a position, exits kept); halted.",
    )
    engaged: bool | None = Field(default=None, description="The kill switch: true is halted, false is active.")
    account_id: str | None = Field(default=None, description="Omit for the platform-wide state.")

    @model_validator(mode="after")
    def _one_of(self) -> KillSwitchIn:
        if (self.state is None) == (self.engaged is None):
            raise ValueError("give exactly one of state and engaged")
        return self

    @property
    def wanted(self) -> TradingState:
        if self.state is not None:
            return self.state
        return TradingState.HALTED if self.engaged else TradingState.ACTIVE


class KillSwitchOut(BaseModel):
    scope: str
    account_id: str | None
    state: TradingState
    engaged: bool = Field(description="Whether trading is restricted (state is not active).")
    cancelled_orders: list[str]


class Health(BaseModel):
    status: str
    time: datetime


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable and machine-readable, e.g. risk_rejected, validation_error, not_found.")
    message: str = Field(description="A sentence for people.")
    details: dict[str, Any] | None = Field(
        default=None, description="The data behind the error when there is some: risk reasons, fields, limits."
    )


class ErrorOut(BaseModel):
    """Every error answer: ``{"error": {"code": ..., "message": ...}}``."""

    error: ErrorInfo


@cache
def _catalog() -> InstrumentCatalog:
    return InstrumentCatalog.default()


def _shown_price(symbol: str, price: Decimal) -> Decimal:
    """To the tick's places plus four; a symbol only the account's venue lists (not shipped) shows as it is."""
    return _catalog().get(symbol).shown_price(price) if symbol in _catalog() else price


def shown_position(view: PositionView) -> PositionView:
    """Prices to the tick's places plus four, money to the cent."""
    return view.model_copy(update={
        "average_price": _shown_price(view.symbol, view.average_price),
        "mark_price": None if view.mark_price is None else _shown_price(view.symbol, view.mark_price),
        "market_value": None if view.market_value is None else shown_money(view.market_value),
        "unrealised_pnl": None if view.unrealised_pnl is None else shown_money(view.unrealised_pnl),
        "realised_pnl": shown_money(view.realised_pnl),
    })


def shown_portfolio(view: PortfolioView) -> PortfolioView:
    money = ("cash", "equity", "buying_power", "margin_used", "day_pnl", "gross_exposure", "realised_pnl",
             "unrealised_pnl")
    return view.model_copy(update={
        **{name: shown_money(getattr(view, name)) for name in money},
        "positions": [shown_position(p) for p in view.positions],
    })
