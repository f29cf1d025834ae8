"""docs/extending.md, "A broker (venue)", done once: a toy broker that fills every order at once at the quote's
side, held to a small broker contract the paper broker passes too, then plugged into ``Deps`` so an order placed
through the use case is booked by core (order filled, fill, position) without the broker writing anything."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core import usecases as uc
from core.ids import derived_id
from core.market import Quote
from core.orders import Fill, Order, OrderStatus, OrderType, Side
from core.ports.broker import Broker, BrokerEvent, EventKind
from infra.brokers.paper import PaperBroker
from tests.support import order, tick

D = Decimal
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


class FillAtOnceBroker(Broker):
    """The smallest broker: a market order fills whole at the quote's side, anything else is refused."""

    name = "fill-at-once"

    def submit(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        if order.order_type is not OrderType.MARKET or quote is None:
            return [BrokerEvent(kind=EventKind.REJECTED, order_id=order.id, time=now, reason="market orders only")]
        fill = Fill(
            id=derived_id(order.id, "toy"), order_id=order.id, account_id=order.account_id, symbol=order.symbol,
            side=order.side, quantity=order.quantity, price=quote.price_to(order.side), time=now,
        )
        return [
            BrokerEvent(kind=EventKind.ACCEPTED, order_id=order.id, time=now),
            BrokerEvent(kind=EventKind.FILL, order_id=order.id, time=now, fill=fill),
        ]

    def cancel(self, order: Order, now: datetime) -> list[BrokerEvent]:
        return [BrokerEvent(kind=EventKind.CANCELLED, order_id=order.id, time=now)]

    def modify(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        return []  # nothing rests here, so nothing is ever modified

    def on_quote(self, orders: list[Order], quote: Quote, now: datetime) -> list[BrokerEvent]:
        return []


BROKERS = [pytest.param(PaperBroker(), id="paper"), pytest.param(FillAtOnceBroker(), id="toy")]


def new_order(order_type: OrderType = OrderType.MARKET, **fields: object) -> Order:
    return Order(id="ORD1", account_id="acc-1", symbol="AAPL", side=Side.BUY, quantity=D(10), order_type=order_type,
                 status=OrderStatus.NEW, created_at=NOW, updated_at=NOW, **fields)


QUOTE = Quote(symbol="AAPL", bid=D("99.99"), ask=D("100.01"), time=NOW)


@pytest.mark.parametrize("broker", BROKERS)
def test_a_submitted_order_is_first_accepted_or_rejected_and_every_event_names_it(broker: Broker) -> None:
    events = broker.submit(new_order(), QUOTE, NOW)
    assert events[0].kind in {EventKind.ACCEPTED, EventKind.REJECTED, EventKind.UNCONFIRMED}
    assert {event.order_id for event in events} == {"ORD1"}
    assert all(event.time.tzinfo is not None for event in events)


@pytest.mark.parametrize("broker", BROKERS)
def test_a_market_order_at_a_quote_fills_whole_at_the_side_it_pays(broker: Broker) -> None:
    fills = [event.fill for event in broker.submit(new_order(), QUOTE, NOW) if event.kind is EventKind.FILL]
    assert sum((fill.quantity for fill in fills if fill), D(0)) == D(10)
    assert {fill.price for fill in fills if fill} == {D("100.01")}


@pytest.mark.parametrize("broker", BROKERS)
def test_a_fill_is_the_same_fill_when_the_same_order_is_submitted_again(broker: Broker) -> None:
    first = [e.fill.id for e in broker.submit(new_order(), QUOTE, NOW) if e.fill]
    again = [e.fill.id for e in broker.submit(new_order(), QUOTE, NOW) if e.fill]
    assert first == again  # core books a fill once by its id, so a redelivered submit must not invent a new one


@pytest.mark.parametrize("broker", BROKERS)
def test_cancelling_a_working_order_says_cancelled(broker: Broker) -> None:
    working = new_order(OrderType.LIMIT, limit_price=D(90)).model_copy(update={"status": OrderStatus.ACCEPTED})
    [event] = broker.cancel(working, NOW)
    assert (event.kind, event.order_id) == (EventKind.CANCELLED, "ORD1")


def test_an_order_placed_through_the_use_case_is_booked_by_core_from_the_toy_brokers_events(service, clock) -> None:
    toy = replace(service, broker=FillAtOnceBroker())
    tick(toy, clock, "AAPL", "189.98", "190.02")
    placed = uc.place_order(toy, "alice", order("AAPL", "buy", "10"), idempotency_key="toy-1")
    assert placed.status is OrderStatus.FILLED
    [fill] = toy.store.fills.list_for_account("alice")
    assert (fill.quantity, fill.price) == (D(10), D("190.02"))
    assert toy.store.positions.get("alice", "AAPL").quantity == D(10)


def test_an_order_the_toy_broker_refuses_is_stored_rejected_with_its_reason(service, clock) -> None:
    toy = replace(service, broker=FillAtOnceBroker())
    tick(toy, clock, "AAPL", "189.98", "190.02")
    placed = uc.place_order(toy, "alice", order("AAPL", "buy", "1", order_type="limit", limit_price="150"),
                            idempotency_key="toy-2")
    assert placed.status is OrderStatus.REJECTED
    assert toy.store.fills.list_for_account("alice") == []
