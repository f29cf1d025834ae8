"""Orders: the request a trader sends, the order Parley keeps, and its state machine."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.fields import FieldInfo

from core.errors import IllegalTransition, InvalidRequest
from core.ids import fingerprint
from core.instruments import Instrument
from core.numbers import Percent, PositiveAmount


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"
    TRAILING_STOP = "trailing_stop"
    TAKE_PROFIT = "take_profit"
    BRACKET = "bracket"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class OrderStatus(StrEnum):
    NEW = "new"
    PENDING_CONFIRMATION = "pending_confirmation"
    PENDING_NEW = "pending_new"  # may have reached a real venue, not confirmed yet: reconciliation settles it
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def is_open(self) -> bool:
        """Working, or may be: a pending_new order may be at the venue, so it holds buying power and is
        reconciled, cancelled and listed as the working orders are."""
        return self in (OrderStatus.PENDING_NEW, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)


FINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset(
        {OrderStatus.PENDING_CONFIRMATION, OrderStatus.PENDING_NEW, OrderStatus.ACCEPTED, OrderStatus.REJECTED,
         OrderStatus.CANCELLED}
    ),
    OrderStatus.PENDING_CONFIRMATION: frozenset(
        {OrderStatus.PENDING_NEW, OrderStatus.ACCEPTED, OrderStatus.REJECTED, OrderStatus.CANCELLED,
         OrderStatus.EXPIRED}
    ),
    OrderStatus.PENDING_NEW: frozenset(
        {
            OrderStatus.ACCEPTED,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
            OrderStatus.REJECTED,
        }
    ),
    OrderStatus.ACCEPTED: frozenset(
        {
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
            OrderStatus.REJECTED,
        }
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.EXPIRED}
    ),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}

PRICE_FIELDS = ("limit_price", "stop_price", "trail_amount", "trail_percent", "take_profit_price", "stop_loss_price")

# Which optional price fields each order type needs (all of), may take, and must not carry.
_REQUIRED: dict[OrderType, tuple[str, ...]] = {
    OrderType.MARKET: (),
    OrderType.LIMIT: ("limit_price",),
    OrderType.STOP: ("stop_price",),
    OrderType.STOP_LIMIT: ("stop_price", "limit_price"),
    OrderType.TRAILING_STOP: (),
    OrderType.TAKE_PROFIT: ("take_profit_price",),
    OrderType.BRACKET: ("take_profit_price", "stop_loss_price"),
}
_ALLOWED: dict[OrderType, frozenset[str]] = {
    OrderType.MARKET: frozenset(),
    OrderType.LIMIT: frozenset({"limit_price"}),
    OrderType.STOP: frozenset({"stop_price"}),
    OrderType.STOP_LIMIT: frozenset({"stop_price", "limit_price"}),
    OrderType.TRAILING_STOP: frozenset({"trail_amount", "trail_percent"}),
    OrderType.TAKE_PROFIT: frozenset({"take_profit_price"}),
    OrderType.BRACKET: frozenset({"limit_price", "take_profit_price", "stop_loss_price"}),
}
_IMMEDIATE_TIFS = frozenset({TimeInForce.IOC, TimeInForce.FOK})


class OrderRequest(BaseModel):
    """What a trader asks for. Field names are a public contract (API JSON, grammar, agent tools)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)  # not deferred: API bodies use it

    symbol: str = Field(
        min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-/]*$",
        description="Instrument symbol, e.g. AAPL, CL, BTC-USD",
    )
    side: Side
    quantity: PositiveAmount | None = Field(default=None, description="How many; or give notional instead")
    order_type: OrderType = OrderType.MARKET
    limit_price: PositiveAmount | None = Field(default=None, description="Limit and stop_limit orders")
    stop_price: PositiveAmount | None = Field(default=None, description="Stop and stop_limit orders")
    trail_amount: PositiveAmount | None = Field(default=None, description="Trailing stop, in price")
    trail_percent: Percent | None = Field(default=None, description="Trailing stop, in percent")
    take_profit_price: PositiveAmount | None = Field(default=None, description="Bracket or take_profit orders")
    stop_loss_price: PositiveAmount | None = Field(default=None, description="Bracket orders")
    time_in_force: TimeInForce = TimeInForce.DAY
    notional: PositiveAmount | None = Field(
        default=None,
        description="Market orders only: an amount in the instrument's currency instead of a quantity; the "
        "quantity is derived from a fresh price, rounded down to the lot size",
    )

    @model_validator(mode="after")
    def _quantity_or_notional(self) -> OrderRequest:
        if (self.quantity is None) == (self.notional is None):
            raise ValueError("give a quantity or a notional amount, one of the two")
        return self

    @model_validator(mode="after")
    def _fields_fit_the_order_type(self) -> OrderRequest:
        self.symbol = self.symbol.upper()
        kind = self.order_type
        if self.notional is not None and kind is not OrderType.MARKET:
            raise ValueError("notional applies only to market orders; give a quantity")
        missing = [f for f in _REQUIRED[kind] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{kind.value} orders need {', '.join(missing)}")
        extra = [f for f in PRICE_FIELDS if getattr(self, f) is not None and f not in _ALLOWED[kind]]
        if extra:
            raise ValueError(f"{kind.value} orders do not take {', '.join(extra)}")
        if kind is OrderType.TRAILING_STOP and (self.trail_amount is None) == (self.trail_percent is None):
            raise ValueError("trailing_stop orders need exactly one of trail_amount or trail_percent")
        if self.time_in_force in _IMMEDIATE_TIFS and kind not in (OrderType.MARKET, OrderType.LIMIT):
            raise ValueError(f"time_in_force {self.time_in_force.value} applies only to market and limit orders")
        if kind is OrderType.BRACKET:
            self._check_bracket_prices()
        return self

    def _check_bracket_prices(self) -> None:
        tp, sl, entry = self.take_profit_price, self.stop_loss_price, self.limit_price
        assert tp is not None and sl is not None
        low, high = (sl, tp) if self.side is Side.BUY else (tp, sl)
        if not low < high:
            what = "above" if self.side is Side.BUY else "below"
            raise ValueError(f"a {self.side.value} bracket needs take_profit_price {what} stop_loss_price")
        if entry is not None and not low < entry < high:
            raise ValueError("a bracket's limit_price must lie between its stop_loss_price and take_profit_price")

    @property
    def at_market(self) -> bool:
        """Trades at whatever the market offers: a market order, or a bracket with no limit on its entry."""
        return self.order_type is OrderType.MARKET or (
            self.order_type is OrderType.BRACKET and self.limit_price is None
        )

    @property
    def fractional(self) -> bool:
        """May trade fractions of a lot where the instrument allows: market orders good for the day."""
        return self.order_type is OrderType.MARKET and self.time_in_force is TimeInForce.DAY

    @property
    def size(self) -> Decimal:
        """The quantity of a request whose notional has been resolved into one (see core.usecases)."""
        if self.quantity is None:
            raise InvalidRequest("This order gives a notional amount; its quantity is not derived yet.")
        return self.quantity

    def check_against(self, instrument: Instrument) -> None:
        """Raise InvalidRequest unless quantity and prices respect the instrument's lot and tick."""
        if self.quantity is not None:
            instrument.check_quantity(self.quantity, fractional=self.fractional)
        if self.trail_amount is not None and self.trail_amount < instrument.tick_size:
            raise InvalidRequest(
                f"A trail of {self.trail_amount} is under one {self.symbol} tick ({instrument.tick_size}).",
                code="trail_under_one_tick", field="trail_amount",
            )
        for name in ("limit_price", "stop_price", "take_profit_price", "stop_loss_price", "trail_amount"):
            value = getattr(self, name)
            if value is not None:
                instrument.check_price(value, field=name)

    def fingerprint(self) -> str:
        """A stable hash of the request, to tell a retry from a different request under one key."""
        return fingerprint(self.model_dump(mode="python"))


def request_fields() -> dict[str, tuple[Any, FieldInfo]]:
    """OrderRequest's fields with their constraints, to build a model that carries them too (the chat
    intent, the LLM tool schema) without declaring them a second time."""
    return {name: (field.annotation, field) for name, field in OrderRequest.model_fields.items()}


class Order(OrderRequest):
    """An order as Parley keeps it. ``version`` guards concurrent updates in every store."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, defer_build=True)

    quantity: Decimal = Field(gt=0)  # always known on an order; ``notional`` keeps what was asked, if that
    id: str
    account_id: str
    status: OrderStatus = OrderStatus.NEW
    filled_quantity: Decimal = Decimal(0)
    average_price: Decimal | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: int = 0
    source: str = "api"
    reason: str | None = None
    parent_id: str | None = None
    oco_group: str | None = None
    trail_reference: Decimal | None = None
    triggered: bool = False
    request_fingerprint: str | None = None
    reject_codes: list[str] = Field(default_factory=list)
    # Set while an order from a chat waits for the trader's confirmation (status pending_confirmation).
    confirmation_code: str | None = None
    confirm_by: AwareDatetime | None = None
    staged_price: Decimal | None = None
    # A ticket that changes another order (a modify asked for in a chat): confirming it changes that order,
    # in the fields the trader named (``changes``) and no other.
    replaces: str | None = None
    changes: list[str] = Field(default_factory=list)

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.filled_quantity

    @model_validator(mode="after")
    def _quantity_or_notional(self) -> Order:
        return self  # an order always carries its quantity, and ``notional`` too when that is what was asked

    def request(self) -> OrderRequest:
        """The order as a request with its quantity (the resolved form, notional dropped)."""
        fields = self.model_dump(include=set(OrderRequest.model_fields) - {"notional"})
        return OrderRequest.model_validate(fields)

    def transition(self, target: OrderStatus, now: datetime, reason: str | None = None) -> None:
        """Move to ``target`` or raise IllegalTransition; the state machine of docs/architecture.md."""
        if target not in TRANSITIONS[self.status]:
            raise IllegalTransition(self.id, self.status.value, target.value)
        if reason is not None or self.status is OrderStatus.PENDING_NEW:
            self.reason = reason  # leaving pending_new, its "venue_unconfirmed" no longer holds
        self.status = target
        self.updated_at = now

    def record_fill(self, quantity: Decimal, price: Decimal, now: datetime) -> None:
        """Add a fill: update the average price and move to partially_filled or filled."""
        if quantity <= 0 or quantity > self.remaining_quantity:
            raise InvalidRequest(
                f"Fill of {quantity} does not fit order {self.id} with {self.remaining_quantity} remaining."
            )
        filled_after = self.filled_quantity + quantity
        target = OrderStatus.FILLED if filled_after == self.quantity else OrderStatus.PARTIALLY_FILLED
        if target not in TRANSITIONS[self.status]:  # check first: a refused fill leaves the order untouched
            raise IllegalTransition(self.id, self.status.value, target.value)
        cost = (self.average_price or Decimal(0)) * self.filled_quantity + price * quantity
        self.filled_quantity = filled_after
        self.average_price = cost / filled_after
        self.transition(target, now)


class Fill(BaseModel):
    """One execution against an order. ``realised_pnl`` is set when the fill is booked to a position."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str
    order_id: str
    account_id: str
    symbol: str
    side: Side
    quantity: Decimal = Field(gt=0)
    price: Decimal = Field(gt=0)
    time: AwareDatetime
    realised_pnl: Decimal = Decimal(0)
    # The position's version once this fill was booked to it: fills of one symbol at one instant (a bracket
    # entry and the exit it spawned, filled by one quote) are listed in the order they were booked, not by id.
    sequence: int = 0


class OrderChange(BaseModel):
    """One entry of the store's order change log of the order's symbol: an order as a broker decision or a fill
    left it. ``seq`` rises within that symbol's log.

    Warm stream consumers read, for each symbol of a batch, that symbol's log (``changes_since`` its cursor) to
    keep their index of resting orders current without reading every working order; see
    core/usecases/resting.py.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    seq: int = Field(ge=1)
    order: Order
    time: AwareDatetime


def trail_stop(order: Order, reference: Decimal, instrument: Instrument) -> Decimal:
    """Where a trailing stop stands when the market's best price for it has been ``reference``: the trail
    below it (a sell) or above it (a buy), by amount or percent, rounded to tick toward the market, so the
    protection is never looser than asked (a sell stop rounds up, a buy stop down)."""
    direction = -1 if order.side is Side.SELL else 1
    if order.trail_amount is not None:
        stop = reference + direction * order.trail_amount
    else:
        stop = reference * (1 + direction * (order.trail_percent or Decimal(0)) / 100)
    return instrument.round_to_tick(stop, ROUND_CEILING if order.side is Side.SELL else ROUND_FLOOR)


def utcnow() -> datetime:
    return datetime.now(UTC)
