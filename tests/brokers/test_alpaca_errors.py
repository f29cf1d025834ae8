"""Alpaca's refusals become rejections in the trader's words; a lost answer never places a second order."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import requests
import responses

from core.errors import UnknownSymbol
from core.orders import Order, OrderStatus, OrderType, Side
from core.ports.broker import EventKind
from tests.brokers.alpaca_support import DATA, TRADING, VENUE_ID, alpaca_order, broker, by_client_id, error
from tests.support import Clock

LEG_TP = "c0000000-0000-4000-8000-0000000000a1"
LEG_SL = "c0000000-0000-4000-8000-0000000000a2"


def order(kind: OrderType = OrderType.LIMIT, **fields) -> Order:
    clock = Clock()
    fields.setdefault("limit_price", D("190") if kind is OrderType.LIMIT else None)
    return Order(symbol="AAPL", side=Side.BUY, quantity=D(10), order_type=kind, id="9KX2M4TQ7B",
                 account_id="alice", created_at=clock(), updated_at=clock(), **fields)


@pytest.mark.parametrize(("status", "answer", "words"), [
    (403, error(40310000, "insufficient buying power"),
     "not enough buying power at Alpaca (insufficient buying power)"),
    (422, error(40010001, "qty must be > 0"), "Alpaca refused the order: qty must be > 0"),
    (403, error(40310000, "market is closed"), "the market is closed at Alpaca (market is closed)"),
    (422, error(42210000, "asset AAPL is not active"), "Alpaca does not trade it now (asset AAPL is not active)"),
    (401, '{"message": "unauthorized."}', "Alpaca refused Parley's credentials for this account; tell an admin"),
])
def test_each_refusal_is_a_rejection_in_the_traders_words_sent_once(status, answer, words):
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        mock.post(f"{TRADING}/orders", body=answer, status=status)
        events = broker(clock).submit(placed, None, clock())
        assert len(mock.calls) == 1
    assert [(e.kind, e.reason) for e in events] == [(EventKind.REJECTED, words)]


def test_a_timeout_after_the_order_reached_alpaca_finds_it_instead_of_sending_it_again():
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        mock.post(f"{TRADING}/orders", body=requests.ReadTimeout("read timed out"))
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="new"))
        events = broker(clock).submit(placed, None, clock())
        assert [c.request.method for c in mock.calls] == ["POST", "GET"]
    assert [e.kind for e in events] == [EventKind.ACCEPTED]


def test_a_timeout_before_it_reached_alpaca_sends_it_again_under_the_same_client_order_id():
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        mock.post(f"{TRADING}/orders", body=requests.ConnectionError("connection reset"))
        mock.get(by_client_id(placed), status=404, body=error(40410000, "order not found"))
        mock.post(f"{TRADING}/orders", json=alpaca_order(placed, status="accepted"))
        events = broker(clock).submit(placed, None, clock())
        posts = [c for c in mock.calls if c.request.method == "POST"]
        assert len(posts) == 2
        assert {p.request.body for p in posts} == {posts[0].request.body}  # the same request, the same id
    assert [e.kind for e in events] == [EventKind.ACCEPTED]


def test_a_duplicate_client_order_id_is_looked_up_not_placed_again():
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        mock.post(f"{TRADING}/orders", status=422, body=error(40010001, "client_order_id must be unique"))
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="partially_filled", filled="3",
                                                         average="190"))
        events = broker(clock).submit(placed, None, clock())
    assert [e.kind for e in events] == [EventKind.ACCEPTED, EventKind.FILL]
    assert events[1].fill.quantity == D(3)


def test_a_5xx_is_no_answer_and_after_every_try_the_order_is_unconfirmed_for_reconciliation():
    clock = Clock()
    placed = order()
    with responses.RequestsMock() as mock:
        mock.post(f"{TRADING}/orders", status=503, body='{"message": "service unavailable"}')
        mock.get(by_client_id(placed), status=404, body=error(40410000, "order not found"))
        events = broker(clock).submit(placed, None, clock())
        assert [c.request.method for c in mock.calls] == ["POST", "GET", "POST", "GET", "POST"]
    assert [(e.kind, e.reason) for e in events] == [(EventKind.UNCONFIRMED, "venue_unconfirmed")]


def test_a_cancel_that_loses_the_race_to_a_fill_books_the_fill():
    clock = Clock()
    placed = order(status=OrderStatus.ACCEPTED)
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="new"))
        mock.delete(f"{TRADING}/orders/{VENUE_ID}", status=422, body=error(42210000, "order is not cancelable"))
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="filled", filled="10", average="189.98"))
        events = broker(clock).cancel(placed, clock())
    assert [e.kind for e in events] == [EventKind.FILL]
    assert (events[0].fill.quantity, events[0].fill.price) == (D(10), D("189.98"))


def test_a_bracket_entry_is_booked_whole_once_done_and_its_exits_are_alpacas_legs():
    clock = Clock()
    entry = order(OrderType.BRACKET, limit_price=None, take_profit_price=D("200"), stop_loss_price=D("180"),
                  status=OrderStatus.ACCEPTED)
    exit_stop = Order(symbol="AAPL", side=Side.SELL, quantity=D(10), order_type=OrderType.STOP, stop_price=D("180"),
                      id="EXITSTOP01", account_id="alice", created_at=clock(), updated_at=clock(), source="bracket",
                      parent_id=entry.id, oco_group="G1")
    legs = [alpaca_order(exit_stop, venue_id=LEG_TP, type="limit", status="new", side="sell"),
            alpaca_order(exit_stop, venue_id=LEG_SL, type="stop", status="new", side="sell")]
    venue = broker(clock)
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(entry), json=alpaca_order(entry, status="partially_filled", filled="4", average="190"))
        mock.get(f"{TRADING}/orders/{VENUE_ID}?nested=true",
                 json=alpaca_order(entry, status="partially_filled", filled="4", average="190", legs=legs))
        assert venue.lookup(entry).filled_quantity == 0  # not yet: the legs cover the whole entry
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(entry), json=alpaca_order(entry, status="filled", filled="10", average="190.5"))
        mock.get(f"{TRADING}/orders/{VENUE_ID}?nested=true",
                 json=alpaca_order(entry, status="filled", filled="10", average="190.5", legs=legs))
        submitted = venue.submit(exit_stop, None, clock())
        assert not [c for c in mock.calls if c.request.method == "POST"]
    assert [e.kind for e in submitted] == [EventKind.ACCEPTED]
    with responses.RequestsMock() as mock:
        for stop_leg in (legs[1], {**legs[1], "status": "canceled"}):
            mock.get(by_client_id(entry), json=alpaca_order(entry, status="filled", filled="10"))
            mock.get(f"{TRADING}/orders/{VENUE_ID}?nested=true",
                     json=alpaca_order(entry, status="filled", legs=[legs[0], stop_leg]))
        mock.delete(f"{TRADING}/orders/{LEG_SL}", status=204)
        exit_stop.status = OrderStatus.ACCEPTED
        events = venue.cancel(exit_stop, clock())
        assert [c.request.url for c in mock.calls if c.request.method == "DELETE"] == [f"{TRADING}/orders/{LEG_SL}"]
    assert [e.kind for e in events] == [EventKind.CANCELLED]


def test_quotes_come_from_alpacas_latest_quote_and_are_reused_for_a_few_seconds():
    clock = Clock()
    venue = broker(clock)
    latest = {"quotes": {"AAPL": {"t": "2026-11-27T14:59:59.5Z", "ax": "V", "ap": 190.1, "as": 3, "bx": "V",
                                  "bp": 190.0, "bs": 2, "c": ["R"], "z": "C"}}}
    with responses.RequestsMock() as mock:
        mock.get(f"{DATA}/v2/stocks/quotes/latest?symbols=AAPL&feed=iex", json=latest)
        first = venue.quote("AAPL")
        clock.advance(seconds=2)
        assert venue.quote("AAPL") is first
        assert len(mock.calls) == 1
    assert (first.bid, first.ask, first.ask_size, first.source) == (D("190.0"), D("190.1"), D(3), "alpaca")


def test_a_crypto_quote_and_an_alpaca_listing():
    clock = Clock()
    venue = broker(clock)
    latest = {"quotes": {"BTC/USD": {"ap": 95021.1, "as": 0.5, "bp": 95019.9, "bs": 0.25,
                                     "t": "2026-11-27T14:59:59.912345678Z"}}}
    asset = {"id": "276e2673-764b-4ab6-a611-caf665ca6340", "class": "crypto", "exchange": "CRYPTO",
             "symbol": "BTC/USD", "name": "Bitcoin  / US Dollar", "status": "active", "tradable": True,
             "marginable": False, "maintenance_margin_requirement": 100, "shortable": False,
             "easy_to_borrow": False, "fractionable": True, "attributes": [], "min_order_size": "0.0001",
             "min_trade_increment": "0.000000001", "price_increment": "1"}
    with responses.RequestsMock() as mock:
        mock.get(f"{DATA}/v1beta3/crypto/us/latest/quotes?symbols=BTC/USD", json=latest)
        mock.get(f"{TRADING}/assets/BTC/USD", json=asset)
        mock.get(f"{TRADING}/assets/DOGE", status=404, body=error(40410000, "asset not found"))
        quote = venue.quote("BTC-USD")
        listed = venue.instrument("BTC-USD")
        with pytest.raises(UnknownSymbol):
            venue.instrument("DOGE")
    assert (quote.bid, quote.ask) == (D("95019.9"), D("95021.1"))
    assert (listed.tick_size, listed.lot_size, listed.fractionable) == (D(1), D("0.000000001"), True)


def test_positions_name_alpacas_symbols_as_parleys():
    clock = Clock()
    rows = [{"asset_id": "x", "symbol": "AAPL", "exchange": "NASDAQ", "asset_class": "us_equity", "qty": "10",
             "side": "long", "avg_entry_price": "190"},
            {"asset_id": "y", "symbol": "BTCUSD", "exchange": "CRYPTO", "asset_class": "crypto", "qty": "0.5",
             "side": "long", "avg_entry_price": "95000"},
            {"asset_id": "z", "symbol": "ZZZZ", "exchange": "NYSE", "asset_class": "us_equity", "qty": "-3",
             "side": "short", "avg_entry_price": "10"}]
    with responses.RequestsMock() as mock:
        mock.get(f"{TRADING}/positions", json=rows)
        mock.get(f"{TRADING}/assets/ZZZZ", status=404, body=error(40410000, "asset not found"))
        assert broker(clock).positions() == {"AAPL": D(10), "BTC-USD": D("0.5"), "ZZZZ": D(-3)}
