"""Alpaca: every Parley order type as the request Alpaca receives, and what its answers become."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import responses

from core.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from core.ports.broker import EventKind
from core.ports.venue import fill_id
from tests.brokers.alpaca_support import TRADING, VENUE_ID, alpaca_order, body, broker, by_client_id
from tests.support import Clock


def order(kind: OrderType = OrderType.MARKET, symbol: str = "AAPL", quantity: str = "10", **fields) -> Order:
    clock = Clock()
    return Order(symbol=symbol, side=Side.BUY, quantity=D(quantity), order_type=kind, id="9KX2M4TQ7B",
                 account_id="alice", created_at=clock(), updated_at=clock(), **fields)


BASE = {"symbol": "AAPL", "qty": 10.0, "side": "buy", "time_in_force": "day", "client_order_id": "9KX2M4TQ7B"}
CASES = [
    (order(), {"type": "market"}),
    (order(OrderType.LIMIT, limit_price=D("190.05")), {"type": "limit", "limit_price": 190.05}),
    (order(OrderType.STOP, stop_price=D("185")), {"type": "stop", "stop_price": 185.0}),
    (order(OrderType.STOP_LIMIT, stop_price=D("185"), limit_price=D("184.5")),
     {"type": "stop_limit", "stop_price": 185.0, "limit_price": 184.5}),
    (order(OrderType.TRAILING_STOP, trail_amount=D("2.5")), {"type": "trailing_stop", "trail_price": 2.5}),
    (order(OrderType.TRAILING_STOP, trail_percent=D("1.5")), {"type": "trailing_stop", "trail_percent": 1.5}),
    (order(OrderType.TAKE_PROFIT, take_profit_price=D("200")), {"type": "limit", "limit_price": 200.0}),
    (order(OrderType.BRACKET, take_profit_price=D("200"), stop_loss_price=D("180")),
     {"type": "market", "order_class": "bracket", "take_profit": {"limit_price": 200.0},
      "stop_loss": {"stop_price": 180.0}}),
    (order(OrderType.BRACKET, limit_price=D("190"), take_profit_price=D("200"), stop_loss_price=D("180")),
     {"type": "limit", "limit_price": 190.0, "order_class": "bracket", "take_profit": {"limit_price": 200.0},
      "stop_loss": {"stop_price": 180.0}}),
    (order(OrderType.LIMIT, limit_price=D("190"), time_in_force=TimeInForce.GTC),
     {"type": "limit", "limit_price": 190.0, "time_in_force": "gtc"}),
    (order(OrderType.LIMIT, limit_price=D("190"), time_in_force=TimeInForce.IOC),
     {"type": "limit", "limit_price": 190.0, "time_in_force": "ioc"}),
    (order(OrderType.LIMIT, limit_price=D("190"), time_in_force=TimeInForce.FOK),
     {"type": "limit", "limit_price": 190.0, "time_in_force": "fok"}),
]


@pytest.mark.parametrize(("placed", "expected"), CASES, ids=lambda c: getattr(c, "order_type", None) or "")
def test_each_order_type_reaches_alpaca_as_its_own_request_under_parleys_order_id(placed, expected):
    clock = Clock()
    with responses.RequestsMock() as mock:
        mock.post(f"{TRADING}/orders", json=alpaca_order(placed, status="accepted"))
        events = broker(clock).submit(placed, None, clock())
        assert body(mock.calls[0]) == {**BASE, **expected}
        assert mock.calls[0].request.headers["APCA-API-KEY-ID"] == "PKTEST"
    if placed.at_market:
        return  # settled below
    assert [e.kind for e in events] == [EventKind.ACCEPTED]


def test_a_crypto_market_day_order_goes_as_gtc_on_alpacas_crypto_symbol():
    clock = Clock()
    placed = order(symbol="BTC-USD", quantity="0.01")
    with responses.RequestsMock() as mock:
        mock.post(f"{TRADING}/orders", json=alpaca_order(placed, status="filled", filled="0.01",
                                                          average="95020.43"))
        events = broker(clock).submit(placed, None, clock())
        assert body(mock.calls[0]) == {**BASE, "symbol": "BTC/USD", "qty": 0.01, "time_in_force": "gtc",
                                       "type": "market"}
    assert [e.kind for e in events] == [EventKind.ACCEPTED, EventKind.FILL]
    assert (events[1].fill.quantity, events[1].fill.price) == (D("0.01"), D("95020.43"))


@pytest.mark.parametrize(("placed", "words"), [
    (order(OrderType.STOP, symbol="BTC-USD", quantity="0.01", stop_price=D("90000")),
     "Alpaca does not take stop orders on BTC-USD; it takes limit, market, stop limit"),
    (order(OrderType.LIMIT, symbol="BTC-USD", quantity="0.01", limit_price=D("90000")),
     "Alpaca takes crypto orders good till cancelled or ioc; send it gtc"),
    (order(OrderType.BRACKET, symbol="BTC-USD", quantity="0.01", take_profit_price=D("99000"),
           stop_loss_price=D("90000")), "Alpaca does not take bracket orders on BTC-USD"),
])
def test_what_alpaca_cannot_take_is_rejected_in_words_and_never_sent(placed, words):
    clock = Clock()
    with responses.RequestsMock():  # any request would fail the test
        events = broker(clock).submit(placed, None, clock())
    assert [e.kind for e in events] == [EventKind.REJECTED]
    assert events[0].reason.startswith(words)


def test_a_market_order_is_looked_up_until_it_fills_and_its_fill_is_named_by_its_cumulative_quantity():
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        mock.post(f"{TRADING}/orders", json=alpaca_order(placed, status="pending_new"))
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="partially_filled", filled="4",
                                                         average="190"))
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="filled", filled="10", average="190.06"))
        events = broker(clock).submit(placed, None, clock())
    assert [e.kind for e in events] == [EventKind.ACCEPTED, EventKind.FILL]
    fill = events[1].fill
    assert (fill.id, fill.quantity, fill.price) == (fill_id(placed.id, D(10)), D(10), D("190.06"))


def test_a_change_replaces_the_order_at_alpaca_and_a_replaced_order_is_followed():
    clock = Clock()
    placed = order(OrderType.LIMIT, limit_price=D("189.50"))
    placed.status = OrderStatus.ACCEPTED
    new_id = "a0000000-0000-4000-8000-000000000002"
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="replaced", replaced_by=new_id))
        mock.get(f"{TRADING}/orders/{new_id}", json=alpaca_order(placed, venue_id=new_id, status="new"))
        mock.patch(f"{TRADING}/orders/{new_id}", json=alpaca_order(placed, status="accepted", venue_id="third"))
        events = broker(clock).modify(placed, None, clock())
        assert body(mock.calls[-1]) == {"qty": "10", "limit_price": "189.5"}
    assert events == []  # still working, as it was


def test_a_cancel_is_booked_once_alpaca_confirms_it():
    clock = Clock()
    placed = order(OrderType.LIMIT, limit_price=D("189.50"))
    placed.status = OrderStatus.ACCEPTED
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="new"))
        mock.delete(f"{TRADING}/orders/{VENUE_ID}", status=204)
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="canceled"))
        events = broker(clock).cancel(placed, clock())
    assert [(e.kind, e.reason) for e in events] == [(EventKind.CANCELLED, "alpaca: canceled")]


def test_a_cancel_alpaca_has_not_confirmed_yet_leaves_the_order_working():
    clock = Clock()
    placed = order(OrderType.LIMIT, limit_price=D("189.50"))
    placed.status = OrderStatus.ACCEPTED
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="new"))
        mock.delete(f"{TRADING}/orders/{VENUE_ID}", status=204)
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="pending_cancel"))
        assert broker(clock).cancel(placed, clock()) == []
