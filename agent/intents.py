"""Intents: what a trader asked for, typed. The grammar and the LLM agent both produce these.

One pydantic model per intent, discriminated on ``intent``. A PlaceOrder (and a WhatIf, the same order asked
about and never staged) is always a valid OrderRequest: its validator builds one, so whoever holds one can hand
its fields to the service as they are. A Clarify is the grammar's short question back for a message that
looks like an instruction but is not a clear one (a negation, a question, two orders at once...).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from core.numbers import plain
from core.orders import OrderRequest, OrderType, request_fields

Upper = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(str.upper)]
Code = Annotated[str, Field(min_length=1, max_length=32)]
Dec = Annotated[Decimal, PlainSerializer(plain, return_type=str, when_used="json")]
Positive = Annotated[Dec, Field(gt=0)]


class _Intent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _PlaceOrderBase(_Intent):
    """A new order. A tp+sl pair is order_type "bracket", with an optional limit_price entry."""

    @field_validator("symbol", check_fields=False)
    @classmethod
    def _upper(cls, symbol: str) -> str:
        return symbol.upper()

    @model_validator(mode="after")
    def _is_a_valid_order_request(self) -> _PlaceOrderBase:
        try:
            self.to_order_request()
        except ValidationError as exc:
            raise ValueError("; ".join(error["msg"] for error in exc.errors())) from None
        return self

    def to_order_request(self) -> OrderRequest:
        return OrderRequest(**self.model_dump(exclude={"intent"}))


# The order's fields are declared once, on OrderRequest; each intent adds only its tag.
PlaceOrder: type[_PlaceOrderBase] = create_model(
    "PlaceOrder",
    __base__=_PlaceOrderBase,
    intent=(Literal["place_order"], "place_order"),
    **request_fields(),
)
WhatIf: type[_PlaceOrderBase] = create_model(
    "WhatIf",
    __base__=_PlaceOrderBase,
    intent=(Literal["what_if"], "what_if"),
    **request_fields(),
)

# What a closing or modified order may carry besides its size: the type and the prices that go with it.
CLOSING_TYPES = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP)
_CLOSE_PRICES = ("limit_price", "stop_price", "trail_amount", "trail_percent")


def _request_fields(*names: str) -> dict[str, Any]:
    fields = request_fields()
    return {name: fields[name] for name in names}


class _ClosePositionBase(_Intent):
    """Close a position: all of it (no quantity, no fraction), a quantity, or a fraction in (0, 1); at market,
    or with the prices of a limit, stop, stop-limit or trailing-stop order."""

    intent: Literal["close_position"] = "close_position"
    symbol: Upper
    quantity: Positive | None = None
    fraction: Annotated[Dec, Field(gt=0, lt=1)] | None = None

    @model_validator(mode="after")
    def _one_amount_at_most_and_prices_that_fit_the_type(self) -> _ClosePositionBase:
        if self.quantity is not None and self.fraction is not None:
            raise ValueError("give a quantity or a fraction, not both")
        if self.order_type not in CLOSING_TYPES:
            raise ValueError(f"a position is not closed with a {self.order_type.value} order")
        prices = {name: getattr(self, name) for name in _CLOSE_PRICES}
        try:  # the order rules are OrderRequest's; any side and size will do to check the prices against them
            OrderRequest(symbol=self.symbol, side="sell", quantity=1, order_type=self.order_type, **prices)
        except ValidationError as exc:
            raise ValueError("; ".join(error["msg"] for error in exc.errors())) from None
        return self


ClosePosition: type[_ClosePositionBase] = create_model(
    "ClosePosition", __base__=_ClosePositionBase, **_request_fields("order_type", *_CLOSE_PRICES)
)


class CloseAll(_Intent):
    """Close every open position at market."""

    intent: Literal["close_all"] = "close_all"


class _ModifyOrderBase(_Intent):
    """Change a working order's size or prices; what is not given stays as it is."""

    intent: Literal["modify_order"] = "modify_order"
    order_id: Upper
    quantity: Positive | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> _ModifyOrderBase:
        if all(getattr(self, name) is None for name in ("quantity", *_CLOSE_PRICES)):
            raise ValueError("say what to change: quantity, limit_price, stop_price, trail_amount or trail_percent")
        if self.trail_amount is not None and self.trail_percent is not None:
            raise ValueError("give trail_amount or trail_percent, not both")
        return self


ModifyOrder: type[_ModifyOrderBase] = create_model(
    "ModifyOrder", __base__=_ModifyOrderBase, **_request_fields(*_CLOSE_PRICES)
)


class Fills(_Intent):
    """The trader's recent executions."""

    intent: Literal["fills"] = "fills"


class Clarify(_Intent):
    """Not a clear instruction: nothing is done, and ``question`` is asked back."""

    intent: Literal["clarify"] = "clarify"
    question: str


class CancelOrder(_Intent):
    intent: Literal["cancel_order"] = "cancel_order"
    order_id: Upper


class CancelAll(_Intent):
    intent: Literal["cancel_all"] = "cancel_all"


class ListOrders(_Intent):
    intent: Literal["list_orders"] = "list_orders"


class Positions(_Intent):
    intent: Literal["positions"] = "positions"


class Portfolio(_Intent):
    intent: Literal["portfolio"] = "portfolio"


class RiskStatus(_Intent):
    intent: Literal["risk_status"] = "risk_status"


class Help(_Intent):
    intent: Literal["help"] = "help"


class KillSwitch(_Intent):
    intent: Literal["kill_switch"] = "kill_switch"


class Reject(_Intent):
    """Decline the pending confirmation; ``code`` names the ticket when the trader gave one."""

    intent: Literal["reject"] = "reject"
    code: Code | None = None


class ListAlerts(_Intent):
    intent: Literal["list_alerts"] = "list_alerts"


class Quote(_Intent):
    intent: Literal["quote"] = "quote"
    symbol: Upper


class SetAlert(_Intent):
    """Notify when the price crosses above/below ``threshold``, or moves ``threshold`` percent."""

    intent: Literal["set_alert"] = "set_alert"
    symbol: Upper
    condition: Literal["above", "below", "pct_move"]
    threshold: Positive


class DeleteAlert(_Intent):
    intent: Literal["delete_alert"] = "delete_alert"
    alert_id: Upper


class Confirm(_Intent):
    intent: Literal["confirm"] = "confirm"
    code: Code


class Link(_Intent):
    intent: Literal["link"] = "link"
    code: Code


class Unknown(_Intent):
    """Nothing the grammar could claim; ``text`` is the message exactly as it came in."""

    intent: Literal["unknown"] = "unknown"
    text: str


Intent = Annotated[
    PlaceOrder
    | WhatIf
    | ClosePosition
    | CloseAll
    | ModifyOrder
    | Fills
    | CancelOrder
    | CancelAll
    | ListOrders
    | Positions
    | Portfolio
    | RiskStatus
    | Help
    | KillSwitch
    | Reject
    | ListAlerts
    | Quote
    | SetAlert
    | DeleteAlert
    | Confirm
    | Link
    | Clarify
    | Unknown,
    Field(discriminator="intent"),
]

INTENTS: TypeAdapter[Intent] = TypeAdapter(Intent)


def intent_json(intent: Intent) -> dict[str, Any]:
    """One flat JSON object: ``intent`` first, then every field in model order, decimals as strings."""
    return intent.model_dump(mode="json")
