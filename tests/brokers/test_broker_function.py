"""The broker function and its caller: orders of venue accounts cross one Lambda invoke and come back as the
same broker events; refusals and silence are told apart."""

from __future__ import annotations

import io
import json
from decimal import Decimal as D

import responses

from core.orders import Order, OrderStatus, OrderType, Side
from core.ports.broker import EventKind
from core.venues import Environment, Venue
from infra.brokers.remote import RemoteBroker, serve
from infra.brokers.router import BrokerRouter
from tests.brokers.alpaca_support import TRADING, alpaca_order, broker, by_client_id
from tests.support import Clock


class FakeLambda:
    """boto3's Lambda client as far as RemoteBroker uses it: invoke runs the broker function's code in process."""

    def __init__(self, target, fail: bool = False) -> None:
        self.target, self.fail, self.calls = target, fail, []

    def invoke(self, FunctionName: str, Payload: bytes) -> dict:
        self.calls.append((FunctionName, json.loads(Payload)))
        if self.fail:
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(b'{"errorMessage": "x"}')}
        answer = serve(self.target, json.loads(Payload), Clock()())
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())}


def venue_router(clock):
    venue = Venue(name="alpaca", environment=Environment.PAPER)
    return BrokerRouter(None, {"alice": venue}, build=lambda account, v: broker(clock), account=lambda a: None)


def limit() -> Order:
    clock = Clock()
    return Order(symbol="AAPL", side=Side.BUY, quantity=D(10), order_type=OrderType.LIMIT, limit_price=D("190"),
                 id="9KX2M4TQ7B", account_id="alice", created_at=clock(), updated_at=clock())


def test_an_order_crosses_the_broker_function_and_comes_back_as_events():
    clock = Clock()
    client = FakeLambda(venue_router(clock))
    placed = limit()
    with responses.RequestsMock() as mock:
        mock.post(f"{TRADING}/orders", json=alpaca_order(placed, status="new"))
        events = RemoteBroker("parley-broker", client=client).submit(placed, None, clock())
    assert [e.kind for e in events] == [EventKind.ACCEPTED]
    assert client.calls[0][0] == "parley-broker" and client.calls[0][1]["op"] == "submit"


def test_a_venue_quote_crosses_it_too():
    clock = Clock()
    latest = {"quotes": {"AAPL": {"t": "2026-11-27T14:59:59Z", "ap": 190.1, "as": 3, "bp": 190.0, "bs": 2}}}
    remote = RemoteBroker("parley-broker", client=FakeLambda(venue_router(clock)))
    with responses.RequestsMock() as mock:
        mock.get("https://data.alpaca.markets/v2/stocks/quotes/latest?symbols=AAPL&feed=iex", json=latest)
        quote = remote.fresh_quote("alice", "AAPL")
    assert (quote.bid, quote.ask) == (D("190.0"), D("190.1"))


def test_a_refusal_from_the_function_is_a_rejection_and_silence_waits_for_reconciliation():
    clock = Clock()
    placed = limit()
    venue = Venue(name="alpaca", environment=Environment.PAPER)

    def no_credentials(account, v):
        from infra.brokers.config import BrokerConfigError

        raise BrokerConfigError("No alpaca:paper credentials for account alice (api_key and secret).")

    refusing = BrokerRouter(None, {"alice": venue}, build=no_credentials, account=lambda a: None)
    rejected = RemoteBroker("f", client=FakeLambda(refusing)).submit(placed, None, clock())
    assert [(e.kind, e.reason) for e in rejected] == [
        (EventKind.REJECTED, "No alpaca:paper credentials for account alice (api_key and secret).")]
    silent = RemoteBroker("f", client=FakeLambda(refusing, fail=True)).submit(placed, None, clock())
    assert [(e.kind, e.reason) for e in silent] == [(EventKind.UNCONFIRMED, "venue_unconfirmed")]


def test_a_cancel_through_the_function_finds_the_order_by_its_client_id():
    clock = Clock()
    placed = limit()
    placed.status = OrderStatus.ACCEPTED
    placed = Order.model_validate(placed.model_dump())
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(placed), json=alpaca_order(placed, status="canceled"))
        events = RemoteBroker("f", client=FakeLambda(venue_router(clock))).cancel(placed, clock())
    assert [e.kind for e in events] == [EventKind.CANCELLED]
