"""Order request validation: the price fields each order type takes, time in force, bracket sides and field rules."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from pydantic import ValidationError

from core.orders import PRICE_FIELDS, OrderRequest, OrderType, Side, TimeInForce
from tests.unit.order_support import MINIMAL, D, request

REQUIRED: dict[OrderType, tuple[str, ...]] = {
    OrderType.LIMIT: ("limit_price",),
    OrderType.STOP: ("stop_price",),
    OrderType.STOP_LIMIT: ("stop_price", "limit_price"),
    OrderType.TAKE_PROFIT: ("take_profit_price",),
    OrderType.BRACKET: ("take_profit_price", "stop_loss_price"),
}
ALLOWED: dict[OrderType, set[str]] = {
    OrderType.MARKET: set(),
    OrderType.LIMIT: {"limit_price"},
    OrderType.STOP: {"stop_price"},
    OrderType.STOP_LIMIT: {"stop_price", "limit_price"},
    OrderType.TRAILING_STOP: {"trail_amount", "trail_percent"},
    OrderType.TAKE_PROFIT: {"take_profit_price"},
    OrderType.BRACKET: {"limit_price", "take_profit_price", "stop_loss_price"},
}
FORBIDDEN = [(kind, name) for kind in OrderType for name in PRICE_FIELDS if name not in ALLOWED[kind]]


@pytest.mark.parametrize("kind", list(OrderType))
def test_each_order_type_is_valid_with_its_minimal_price_fields(kind):
    built = request(kind)
    assert built.order_type is kind
    for name in PRICE_FIELDS:
        assert getattr(built, name) == MINIMAL[kind].get(name)


@pytest.mark.parametrize(
    ("kind", "missing"), [(kind, name) for kind, names in REQUIRED.items() for name in names]
)
def test_an_order_type_without_a_required_price_is_refused_naming_the_field(kind, missing):
    with pytest.raises(ValidationError, match=f"{kind.value} orders need .*{missing}"):
        request(kind, **{missing: None})


@pytest.mark.parametrize(("kind", "extra"), FORBIDDEN)
def test_an_order_type_refuses_a_price_field_it_does_not_take(kind, extra):
    with pytest.raises(ValidationError, match=f"{kind.value} orders do not take {extra}"):
        request(kind, **{extra: D("95.00")})


def test_a_market_order_needs_no_price_at_all():
    built = OrderRequest(symbol="AAPL", side="sell", quantity="5")
    assert built.order_type is OrderType.MARKET
    assert built.time_in_force is TimeInForce.DAY


def test_a_trailing_stop_takes_either_an_amount_or_a_percent():
    assert request(OrderType.TRAILING_STOP, trail_amount=D("1.50")).trail_amount == D("1.50")
    by_percent = request(OrderType.TRAILING_STOP, trail_amount=None, trail_percent=D("2.5"))
    assert by_percent.trail_percent == D("2.5")
    assert by_percent.trail_amount is None


@pytest.mark.parametrize(
    "trail", [{"trail_amount": None}, {"trail_amount": D("1.00"), "trail_percent": D("2")}], ids=["none", "both"]
)
def test_a_trailing_stop_needs_exactly_one_of_amount_or_percent(trail):
    with pytest.raises(ValidationError, match="exactly one of trail_amount or trail_percent"):
        request(OrderType.TRAILING_STOP, **trail)


@pytest.mark.parametrize("percent", ["0", "100", "150", "-1"])
def test_a_trail_percent_must_lie_strictly_between_zero_and_one_hundred(percent):
    with pytest.raises(ValidationError):
        request(OrderType.TRAILING_STOP, trail_amount=None, trail_percent=D(percent))


@pytest.mark.parametrize(
    ("kind", "tif"), list(itertools.product(OrderType, (TimeInForce.IOC, TimeInForce.FOK)))
)
def test_ioc_and_fok_apply_only_to_market_and_limit_orders(kind, tif):
    if kind in (OrderType.MARKET, OrderType.LIMIT):
        assert request(kind, time_in_force=tif).time_in_force is tif
    else:
        with pytest.raises(ValidationError, match=f"time_in_force {tif.value} applies only to market and limit"):
            request(kind, time_in_force=tif)


@pytest.mark.parametrize(("kind", "tif"), list(itertools.product(OrderType, (TimeInForce.DAY, TimeInForce.GTC))))
def test_day_and_gtc_apply_to_every_order_type(kind, tif):
    assert request(kind, time_in_force=tif).time_in_force is tif


def test_a_buy_bracket_takes_profit_above_its_stop_loss_with_the_entry_between():
    built = request(
        OrderType.BRACKET, limit_price=D("100.00"), take_profit_price=D("110.00"), stop_loss_price=D("95.00")
    )
    assert (built.stop_loss_price, built.limit_price, built.take_profit_price) == (D("95"), D("100"), D("110"))


def test_a_sell_bracket_takes_profit_below_its_stop_loss_with_the_entry_between():
    built = request(
        OrderType.BRACKET, side="sell", limit_price=D("100.00"), take_profit_price=D("90.00"),
        stop_loss_price=D("105.00"),
    )
    assert built.side is Side.SELL


@pytest.mark.parametrize(
    ("side", "take_profit", "stop_loss", "message"),
    [
        ("buy", "90.00", "110.00", "buy bracket needs take_profit_price above stop_loss_price"),
        ("buy", "100.00", "100.00", "buy bracket needs take_profit_price above stop_loss_price"),
        ("sell", "110.00", "90.00", "sell bracket needs take_profit_price below stop_loss_price"),
        ("sell", "100.00", "100.00", "sell bracket needs take_profit_price below stop_loss_price"),
    ],
)
def test_a_bracket_with_its_exits_on_the_wrong_sides_is_refused(side, take_profit, stop_loss, message):
    with pytest.raises(ValidationError, match=message):
        request(OrderType.BRACKET, side=side, take_profit_price=D(take_profit), stop_loss_price=D(stop_loss))


@pytest.mark.parametrize(
    ("side", "entry", "take_profit", "stop_loss"),
    [
        ("buy", "111.00", "110.00", "90.00"),
        ("buy", "90.00", "110.00", "90.00"),
        ("buy", "80.00", "110.00", "90.00"),
        ("sell", "111.00", "90.00", "110.00"),
        ("sell", "90.00", "90.00", "110.00"),
        ("sell", "80.00", "90.00", "110.00"),
    ],
)
def test_a_bracket_entry_outside_its_exits_is_refused(side, entry, take_profit, stop_loss):
    with pytest.raises(ValidationError, match="limit_price must lie between"):
        request(
            OrderType.BRACKET, side=side, limit_price=D(entry), take_profit_price=D(take_profit),
            stop_loss_price=D(stop_loss),
        )


def test_the_symbol_is_stripped_and_upper_cased():
    assert request(symbol="  aapl ").symbol == "AAPL"
    assert request(symbol="btc-usd").symbol == "BTC-USD"


@pytest.mark.parametrize("extra", [{"foo": "bar"}, {"status": "filled"}, {"account_id": "someone-else"}])
def test_unknown_fields_and_order_only_fields_are_refused_in_a_request(extra):
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        request(**extra)


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_a_quantity_must_be_positive(quantity):
    with pytest.raises(ValidationError):
        request(quantity=D(quantity))


def test_decimals_are_kept_exactly_as_sent_and_travel_as_strings():
    built = OrderRequest.model_validate_json(
        '{"symbol": "BTC-USD", "side": "buy", "quantity": "0.00001", "order_type": "limit",'
        ' "limit_price": "64000.10"}'
    )
    assert isinstance(built.quantity, Decimal)
    assert built.quantity == D("0.00001")
    assert str(built.limit_price) == "64000.10"
    three = OrderRequest(symbol="ETH-USD", side="buy", quantity="0.1").quantity * 3
    assert three == D("0.3")
    dumped = built.model_dump(mode="json")
    assert dumped["quantity"] == "0.00001"
    assert dumped["limit_price"] == "64000.10"
