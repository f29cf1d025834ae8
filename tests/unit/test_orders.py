"""Order requests, their instrument checks and fingerprint, and the order state machine."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from core.errors import IllegalTransition, InvalidRequest
from core.instruments import InstrumentCatalog
from core.orders import (
    FINAL_STATUSES,
    PRICE_FIELDS,
    TRANSITIONS,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)

D = Decimal
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=5)
CATALOG = InstrumentCatalog.default()

# The smallest valid set of price fields for a buy of each order type.
MINIMAL: dict[OrderType, dict[str, Decimal]] = {
    OrderType.MARKET: {},
    OrderType.LIMIT: {"limit_price": D("100.00")},
    OrderType.STOP: {"stop_price": D("100.00")},
    OrderType.STOP_LIMIT: {"stop_price": D("100.00"), "limit_price": D("100.50")},
    OrderType.TRAILING_STOP: {"trail_amount": D("1.00")},
    OrderType.TAKE_PROFIT: {"take_profit_price": D("110.00")},
    OrderType.BRACKET: {"take_profit_price": D("110.00"), "stop_loss_price": D("90.00")},
}
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


def request(kind: OrderType = OrderType.MARKET, **overrides: object) -> OrderRequest:
    fields: dict[str, object] = {"symbol": "AAPL", "side": "buy", "quantity": D(10), "order_type": kind}
    fields.update(MINIMAL[kind])
    fields.update(overrides)
    return OrderRequest(**fields)


def order(status: OrderStatus = OrderStatus.ACCEPTED, quantity: str = "10", **fields: object) -> Order:
    return Order(
        symbol="AAPL", side=Side.BUY, quantity=D(quantity), id="ORD1", account_id="acc-1",
        status=status, created_at=T0, updated_at=T0, **fields,
    )


# -- request validation ---------------------------------------------------------------------------


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


# -- instrument checks ----------------------------------------------------------------------------


def test_a_request_on_the_lot_and_tick_passes_its_instrument_check():
    request(OrderType.LIMIT, quantity=D(3), limit_price=D("230.15")).check_against(CATALOG.get("AAPL"))
    request(
        OrderType.LIMIT, symbol="BTC-USD", quantity=D("0.00123"), limit_price=D("64000.01")
    ).check_against(CATALOG.get("BTC-USD"))


@pytest.mark.parametrize(("symbol", "quantity"), [("AAPL", "1.5"), ("CL", "0.5"), ("BTC-USD", "0.000015")])
def test_a_quantity_off_the_lot_is_refused_with_the_invalid_lot_code(symbol, quantity):
    instrument = CATALOG.get(symbol)
    with pytest.raises(InvalidRequest) as caught:
        request(symbol=symbol, quantity=D(quantity)).check_against(instrument)
    assert caught.value.code == "invalid_lot"
    assert caught.value.details["field"] == "quantity"
    assert caught.value.details["lot_size"] == str(instrument.lot_size)


@pytest.mark.parametrize(
    ("kind", "field", "price"),
    [
        (OrderType.LIMIT, "limit_price", "230.155"),
        (OrderType.STOP, "stop_price", "99.999"),
        (OrderType.TAKE_PROFIT, "take_profit_price", "110.001"),
        (OrderType.BRACKET, "stop_loss_price", "90.005"),
        (OrderType.TRAILING_STOP, "trail_amount", "0.015"),
    ],
)
def test_a_price_off_the_tick_is_refused_with_the_invalid_tick_code_naming_the_field(kind, field, price):
    with pytest.raises(InvalidRequest) as caught:
        request(kind, **{field: D(price)}).check_against(CATALOG.get("AAPL"))
    assert caught.value.code == "invalid_tick"
    assert caught.value.details["field"] == field
    assert caught.value.details["tick_size"] == "0.01"


def test_a_finer_tick_instrument_accepts_prices_a_coarser_one_refuses():
    gas = request(OrderType.LIMIT, symbol="NG", quantity=D(1), limit_price=D("3.125"))
    gas.check_against(CATALOG.get("NG"))
    with pytest.raises(InvalidRequest, match=r"ticks of 0\.01"):
        gas.model_copy(update={"symbol": "CL"}).check_against(CATALOG.get("CL"))


def test_a_trail_percent_is_not_a_price_and_is_not_held_to_the_tick():
    request(OrderType.TRAILING_STOP, trail_amount=None, trail_percent=D("1.234")).check_against(CATALOG.get("AAPL"))


# -- fingerprint ----------------------------------------------------------------------------------


def test_equal_requests_have_the_same_fingerprint_however_they_were_written():
    first = OrderRequest.model_validate_json(
        '{"symbol": "aapl", "side": "buy", "quantity": "10", "order_type": "limit", "limit_price": "100.00"}'
    )
    second = OrderRequest.model_validate_json(
        '{"limit_price": "100.00", "order_type": "limit", "quantity": "10", "side": "buy", "symbol": " AAPL"}'
    )
    assert first.fingerprint() == second.fingerprint()
    assert first.fingerprint() == first.fingerprint()
    assert len(first.fingerprint()) == 64
    int(first.fingerprint(), 16)


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": D(11)},
        {"side": "sell"},
        {"symbol": "MSFT"},
        {"limit_price": D("100.01")},
        {"time_in_force": "gtc"},
        {"order_type": OrderType.MARKET, "limit_price": None},
    ],
)
def test_any_change_to_the_body_changes_the_fingerprint(change):
    base = request(OrderType.LIMIT)
    changed = request(**{"kind": OrderType.LIMIT, **change})
    assert changed.fingerprint() != base.fingerprint()


def test_an_order_built_from_a_request_gives_the_request_back_with_its_fingerprint():
    original = request(OrderType.STOP_LIMIT, symbol="MSFT")
    kept = Order(**original.model_dump(), id="ORD9", account_id="acc-1", created_at=T0, updated_at=T0)
    assert kept.request() == original
    assert kept.request().fingerprint() == original.fingerprint()


# -- state machine --------------------------------------------------------------------------------

ALL_PAIRS = list(itertools.product(OrderStatus, OrderStatus))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def test_the_state_machine_is_the_one_of_the_design():
    assert set(TRANSITIONS) == set(OrderStatus)
    assert set(LEGAL) == {
        (OrderStatus.NEW, OrderStatus.PENDING_CONFIRMATION),
        (OrderStatus.NEW, OrderStatus.ACCEPTED),
        (OrderStatus.NEW, OrderStatus.REJECTED),
        (OrderStatus.NEW, OrderStatus.CANCELLED),
        (OrderStatus.PENDING_CONFIRMATION, OrderStatus.ACCEPTED),
        (OrderStatus.PENDING_CONFIRMATION, OrderStatus.REJECTED),
        (OrderStatus.PENDING_CONFIRMATION, OrderStatus.CANCELLED),
        (OrderStatus.PENDING_CONFIRMATION, OrderStatus.EXPIRED),
        (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED),
        (OrderStatus.ACCEPTED, OrderStatus.FILLED),
        (OrderStatus.ACCEPTED, OrderStatus.CANCELLED),
        (OrderStatus.ACCEPTED, OrderStatus.EXPIRED),
        (OrderStatus.ACCEPTED, OrderStatus.REJECTED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.PARTIALLY_FILLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.EXPIRED),
    }


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_every_legal_transition_moves_the_order_and_stamps_the_time(current, target):
    kept = order(current)
    kept.transition(target, T1, reason="because")
    assert kept.status is target
    assert kept.updated_at == T1
    assert kept.reason == "because"


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_every_illegal_transition_raises_and_leaves_the_order_as_it_was(current, target):
    kept = order(current)
    with pytest.raises(IllegalTransition) as caught:
        kept.transition(target, T1, reason="because")
    assert caught.value.code == "illegal_transition"
    assert caught.value.details == {"order_id": "ORD1", "current": current.value, "target": target.value}
    assert (kept.status, kept.updated_at, kept.reason) == (current, T0, None)


@pytest.mark.parametrize("final", sorted(FINAL_STATUSES))
def test_a_final_status_has_no_way_out(final):
    assert final.is_final
    assert not final.is_open
    assert TRANSITIONS[final] == frozenset()
    for target in OrderStatus:
        with pytest.raises(IllegalTransition):
            order(final).transition(target, T1)


def test_only_accepted_and_partially_filled_orders_are_open():
    assert {s for s in OrderStatus if s.is_open} == {OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED}
    assert {s for s in OrderStatus if s.is_final} == {
        OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED,
    }


def test_a_transition_without_a_reason_keeps_the_earlier_reason():
    kept = order(OrderStatus.NEW)
    kept.transition(OrderStatus.ACCEPTED, T0, reason="risk passed")
    kept.transition(OrderStatus.CANCELLED, T1)
    assert kept.reason == "risk passed"


# -- fills ----------------------------------------------------------------------------------------


def test_fills_average_the_price_and_move_partially_filled_then_filled():
    kept = order(OrderStatus.ACCEPTED, quantity="10")
    kept.record_fill(D(4), D("100.00"), T1)
    assert kept.status is OrderStatus.PARTIALLY_FILLED
    assert (kept.filled_quantity, kept.remaining_quantity, kept.average_price) == (D(4), D(6), D("100.00"))
    assert kept.updated_at == T1
    kept.record_fill(D(3), D("101.00"), T1)
    assert kept.status is OrderStatus.PARTIALLY_FILLED
    kept.record_fill(D(3), D("102.00"), T1)
    assert kept.status is OrderStatus.FILLED
    assert kept.filled_quantity == D(10)
    assert kept.remaining_quantity == 0
    assert kept.average_price == D("100.90")  # (400 + 303 + 306) / 10


def test_a_single_fill_of_the_whole_quantity_fills_an_accepted_order():
    kept = order(OrderStatus.ACCEPTED, quantity="2")
    kept.record_fill(D(2), D("70.25"), T1)
    assert kept.status is OrderStatus.FILLED
    assert kept.average_price == D("70.25")


@pytest.mark.parametrize("quantity", ["7", "0", "-1"])
def test_a_fill_that_does_not_fit_the_remaining_quantity_is_refused_and_changes_nothing(quantity):
    kept = order(OrderStatus.ACCEPTED, quantity="10")
    kept.record_fill(D(4), D("100.00"), T0)
    with pytest.raises(InvalidRequest, match="6 remaining"):
        kept.record_fill(D(quantity), D("100.00"), T1)
    assert (kept.status, kept.filled_quantity, kept.average_price) == (
        OrderStatus.PARTIALLY_FILLED, D(4), D("100.00"),
    )


def test_a_filled_order_takes_no_more_fills():
    kept = order(OrderStatus.ACCEPTED, quantity="1")
    kept.record_fill(D(1), D("100.00"), T0)
    with pytest.raises(InvalidRequest):
        kept.record_fill(D(1), D("100.00"), T1)
    assert kept.filled_quantity == D(1)


@pytest.mark.parametrize("status", [OrderStatus.NEW, OrderStatus.CANCELLED])
def test_a_fill_the_state_machine_refuses_leaves_the_order_untouched(status):
    kept = order(status, quantity="10")
    with pytest.raises(IllegalTransition):
        kept.record_fill(D(4), D("100.00"), T1)
    assert kept.status is status
    assert kept.filled_quantity == 0
    assert kept.average_price is None
    assert kept.updated_at == T0
