"""CCXT with Binance spot in sandbox mode (its testnet), on recorded answers in Binance's api/v3 shapes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import requests
import responses

from core.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from core.ports.broker import EventKind
from core.ports.venue import fill_id
from tests.brokers.binance_support import API, MS, binance_order, error, exchange, markets, sent
from tests.support import Clock


def order(kind: OrderType = OrderType.MARKET, quantity: str = "0.01", **fields) -> Order:
    clock = Clock()
    return Order(symbol="BTC-USD", side=Side(fields.pop("side", "buy")), quantity=D(quantity), order_type=kind,
                 id="9KX2M4TQ7B", account_id="bob", created_at=clock(), updated_at=clock(), **fields)


GTC = {"time_in_force": TimeInForce.GTC}
CASES = [
    (order(), {"type": "MARKET"}),
    (order(OrderType.LIMIT, limit_price=D("94000"), **GTC), {"type": "LIMIT", "price": "94000", "timeInForce": "GTC"}),
    (order(OrderType.LIMIT, limit_price=D("94000"), time_in_force=TimeInForce.IOC),
     {"type": "LIMIT", "price": "94000", "timeInForce": "IOC"}),
    (order(OrderType.STOP, stop_price=D("90000"), side="sell", **GTC), {"type": "STOP_LOSS", "stopPrice": "90000"}),
    (order(OrderType.STOP_LIMIT, stop_price=D("96000"), limit_price=D("96100"), **GTC),
     {"type": "STOP_LOSS_LIMIT", "stopPrice": "96000", "price": "96100", "timeInForce": "GTC"}),
    (order(OrderType.TAKE_PROFIT, take_profit_price=D("99000"), side="sell", **GTC),
     {"type": "TAKE_PROFIT", "stopPrice": "99000"}),
    (order(OrderType.TRAILING_STOP, trail_percent=D("1.5"), side="sell", **GTC),
     {"type": "STOP_LOSS", "trailingDelta": "150"}),
]


@pytest.mark.parametrize(("placed", "expected"), CASES, ids=lambda c: getattr(c, "order_type", None) or "")
def test_each_order_type_reaches_binance_under_parleys_order_id(placed, expected):
    clock = Clock()
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", json=binance_order(placed, type_=expected["type"]))
        if placed.at_market or placed.time_in_force is TimeInForce.IOC:  # looked up until it settles
            mock.get(f"{API}/order", json=binance_order(placed, type_=expected["type"], status="EXPIRED"))
        events = exchange(clock).submit(placed, None, clock())
        params = sent(mock.calls[1])
    assert {k: params.get(k) for k in expected} == expected
    assert (params["symbol"], params["side"], params["quantity"], params["newClientOrderId"]) == (
        "BTCUSDT", placed.side.value.upper(), "0.01", placed.id)
    assert events[0].kind is EventKind.ACCEPTED


def test_a_filled_market_order_books_one_fill_named_by_its_cumulative_quantity():
    clock = Clock()
    placed = order()
    fills = [{"price": "95000.00000000", "qty": "0.00400000", "commission": "0", "commissionAsset": "BTC",
              "tradeId": 101},
             {"price": "95010.00000000", "qty": "0.00600000", "commission": "0", "commissionAsset": "BTC",
              "tradeId": 102}]
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", json=binance_order(placed, status="FILLED", executed="0.01000000",
                                                      quote_qty="950.06000000", fills=fills))
        events = exchange(clock).submit(placed, None, clock())
    assert [e.kind for e in events] == [EventKind.ACCEPTED, EventKind.FILL]
    fill = events[1].fill
    assert (fill.id, fill.quantity, fill.price) == (fill_id(placed.id, D("0.01")), D("0.01"), D("95006"))


@pytest.mark.parametrize(("placed", "words"), [
    (order(OrderType.BRACKET, take_profit_price=D("99000"), stop_loss_price=D("90000")),
     "binance does not take bracket orders"),
    (order(OrderType.TRAILING_STOP, trail_amount=D("500"), side="sell", **GTC), "binance trails by percent only"),
    (order(OrderType.LIMIT, limit_price=D("94000")), "binance has no day orders; send it gtc"),
    (Order(symbol="AAPL", side=Side.BUY, quantity=D(1), id="X", account_id="bob", created_at=Clock()(),
           updated_at=Clock()()), "binance trades crypto only"),
])
def test_what_binance_cannot_take_is_rejected_in_words_and_never_sent(placed, words):
    clock = Clock()
    with responses.RequestsMock():
        events = exchange(clock).submit(placed, None, clock())
    assert events[0].kind is EventKind.REJECTED and events[0].reason.startswith(words)


def test_the_exchanges_own_lot_size_refuses_before_sending():
    clock = Clock()
    with responses.RequestsMock() as mock:
        markets(mock)
        events = exchange(clock).submit(order(quantity="0.000001"), None, clock())
        assert [c.request.method for c in mock.calls] == ["GET"]
    assert events[0].kind is EventKind.REJECTED and "lots of 0.00001" in events[0].reason


@pytest.mark.parametrize(("status", "code", "msg", "words"), [
    (400, -2010, "Account has insufficient balance for requested action.", "not enough funds at binance"),
    (400, -1013, "Filter failure: NOTIONAL", "binance refused the order as invalid"),
    (400, -1013, "Market is closed.", "the market is closed at binance"),
    (401, -2015, "Invalid API-key, IP, or permissions for action.", "binance refused Parley's credentials"),
])
def test_each_ccxt_error_class_is_a_rejection_in_the_traders_words(status, code, msg, words):
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", status=status, body=error(code, msg))
        events = exchange(clock).submit(placed, None, clock())
        assert len([c for c in mock.calls if c.request.method == "POST"]) == 1
    assert events[0].kind is EventKind.REJECTED
    assert events[0].reason.startswith(words), events[0].reason


def test_a_timeout_after_the_order_reached_binance_finds_it_by_its_client_order_id():
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", body=requests.ReadTimeout("read timed out"))
        mock.get(f"{API}/order", json=binance_order(placed, status="FILLED", executed="0.01000000",
                                                     quote_qty="950.00000000"))
        events = exchange(clock).submit(placed, None, clock())
        assert [c.request.method for c in mock.calls] == ["GET", "POST", "GET"]
        assert sent(mock.calls[2])["origClientOrderId"] == placed.id
    assert [e.kind for e in events] == [EventKind.ACCEPTED, EventKind.FILL]


def test_a_timeout_before_it_reached_binance_sends_it_again_with_the_same_client_order_id():
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", body=requests.ConnectionError("reset"))
        mock.get(f"{API}/order", status=400, body=error(-2013, "Order does not exist."))
        mock.post(f"{API}/order", json=binance_order(placed))
        mock.get(f"{API}/order", json=binance_order(placed))
        exchange(clock).submit(placed, None, clock())
        posts = [sent(c) for c in mock.calls if c.request.method == "POST"]
    assert [p["newClientOrderId"] for p in posts] == [placed.id, placed.id]


def test_a_duplicate_order_answer_is_a_lookup():
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", status=400, body=error(-2010, "Duplicate order sent."))
        mock.get(f"{API}/order", json=binance_order(placed, status="NEW"))
        events = exchange(clock).submit(placed, None, clock())
    assert [e.kind for e in events] == [EventKind.ACCEPTED]


def test_a_cancel_racing_a_partial_fill_books_the_fill_and_the_cancel():
    clock = Clock()
    placed = order(OrderType.LIMIT, limit_price=D("94000"), status=OrderStatus.ACCEPTED, **GTC)
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.get(f"{API}/order", json=binance_order(placed, type_="LIMIT", price="94000.00000000"))
        mock.delete(f"{API}/order", json=binance_order(placed, type_="LIMIT", status="CANCELED",
                                                       executed="0.00400000", quote_qty="376.00000000"))
        mock.get(f"{API}/order", json=binance_order(placed, type_="LIMIT", status="CANCELED", executed="0.00400000",
                                                     quote_qty="376.00000000"))
        events = exchange(clock).cancel(placed, clock())
        assert sent(mock.calls[2])["orderId"] == "4242001"
    assert [e.kind for e in events] == [EventKind.FILL, EventKind.CANCELLED]
    assert (events[0].fill.quantity, events[0].fill.price) == (D("0.004"), D("94000"))


def test_a_change_to_a_working_order_is_refused_in_words():
    clock = Clock()
    placed = order(OrderType.LIMIT, limit_price=D("94000"), status=OrderStatus.ACCEPTED, **GTC)
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.get(f"{API}/order", json=binance_order(placed, type_="LIMIT"))
        with pytest.raises(Exception, match="cannot change a working order; cancel it and place a new one"):
            exchange(clock).modify(placed, None, clock())


def test_quote_balance_and_listing():
    clock = Clock()
    ticker = {"symbol": "BTCUSDT", "priceChange": "10.0", "priceChangePercent": "0.01", "weightedAvgPrice": "95000",
              "prevClosePrice": "94990.00", "lastPrice": "95005.00", "lastQty": "0.001", "bidPrice": "95004.99",
              "bidQty": "0.5", "askPrice": "95005.01", "askQty": "0.4", "openPrice": "94995.00",
              "highPrice": "96000.00", "lowPrice": "94000.00", "volume": "1000", "quoteVolume": "95000000",
              "openTime": MS - 86_400_000, "closeTime": MS - 1000, "firstId": 1, "lastId": 1000, "count": 1000}
    account = {"makerCommission": 0, "takerCommission": 0, "buyerCommission": 0, "sellerCommission": 0,
               "canTrade": True, "canWithdraw": False, "canDeposit": False, "brokered": False,
               "requireSelfTradePrevention": False, "preventSor": False, "updateTime": MS, "accountType": "SPOT",
               "balances": [{"asset": "BTC", "free": "1.00000000", "locked": "0.01000000"},
                            {"asset": "USDT", "free": "10000.00000000", "locked": "0.00000000"}],
               "permissions": ["SPOT"], "uid": 1}
    venue = exchange(clock)
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.get(f"{API}/ticker/24hr", json=ticker)
        mock.get(f"{API}/account", json=account)
        quote = venue.quote("BTC-USD")
        held = venue.positions()
        listed = venue.instrument("BTC-USD")
    assert (quote.bid, quote.ask, quote.last, quote.source) == (D("95004.99"), D("95005.01"), D("95005"), "binance")
    assert held == {"BTC-USD": D("1.01")}
    assert (listed.tick_size, listed.lot_size) == (D("0.01"), D("0.00001"))


TOO_MUCH = error(-1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.")


def test_a_timeout_then_a_429_on_every_lookup_is_unconfirmed_not_rejected_and_never_sent_twice():
    clock = Clock()
    placed = order(OrderType.LIMIT, limit_price=D("94000"), **GTC)
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", body=requests.ReadTimeout("read timed out"))
        mock.get(f"{API}/order", status=429, body=TOO_MUCH)
        events = exchange(clock).submit(placed, None, clock())
        assert [c.request.method for c in mock.calls] == ["GET", "POST", "GET", "GET"]
    assert [(e.kind, e.reason) for e in events] == [(EventKind.UNCONFIRMED, "venue_unconfirmed")]


def test_a_429_with_retry_after_on_placement_waits_that_long_then_sends_under_the_same_client_order_id():
    clock = Clock()
    placed = order(OrderType.LIMIT, limit_price=D("94000"), **GTC)
    waits: list[float] = []
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", status=429, body=TOO_MUCH, headers={"Retry-After": "3"})
        mock.get(f"{API}/order", status=400, body=error(-2013, "Order does not exist."))
        mock.post(f"{API}/order", json=binance_order(placed, type_="LIMIT"))
        venue = exchange(clock)
        venue.sleep = waits.append
        events = venue.submit(placed, None, clock())
        posts = [sent(c) for c in mock.calls if c.request.method == "POST"]
    assert [p["newClientOrderId"] for p in posts] == [placed.id, placed.id]
    assert waits == [3.0]
    assert [e.kind for e in events] == [EventKind.ACCEPTED]


def test_a_placement_binance_took_then_a_429_on_the_settling_lookup_keeps_binances_answer():
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", json=binance_order(placed, status="NEW"))
        mock.get(f"{API}/order", status=429, body=TOO_MUCH)
        events = exchange(clock).submit(placed, None, clock())
        assert [c.request.method for c in mock.calls].count("POST") == 1
    assert [e.kind for e in events] == [EventKind.ACCEPTED]
