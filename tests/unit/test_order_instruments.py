"""Order requests against their instrument's lot and tick, and the fingerprint a request and its order share."""

from __future__ import annotations

import pytest

from core.errors import InvalidRequest
from core.instruments import InstrumentCatalog
from core.orders import Order, OrderRequest, OrderType
from tests.unit.order_support import T0, D, request

CATALOG = InstrumentCatalog.default()


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
        request(OrderType.LIMIT, symbol=symbol, quantity=D(quantity), limit_price=D("1.00")).check_against(instrument)
    assert caught.value.code == "invalid_lot"
    assert caught.value.details["field"] == "quantity"
    assert caught.value.details["lot_size"] == str(instrument.lot_size)


def test_a_fractionable_stock_takes_fractions_on_market_day_orders_only():
    aapl = CATALOG.get("AAPL")
    request(symbol="AAPL", quantity=D("1.5")).check_against(aapl)  # market, day
    with pytest.raises(InvalidRequest, match="fractions only on market day orders"):
        request(OrderType.LIMIT, symbol="AAPL", quantity=D("1.5"), limit_price=D("230.00")).check_against(aapl)
    with pytest.raises(InvalidRequest, match=r"lots of 0\.0001"):
        request(symbol="AAPL", quantity=D("1.00005")).check_against(aapl)
    with pytest.raises(InvalidRequest):
        request(symbol="CL", quantity=D("0.5")).check_against(CATALOG.get("CL"))  # futures never split


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
