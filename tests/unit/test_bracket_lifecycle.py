"""Brackets that never leak: exits fill at most once between them, never exceed the position they protect,
and go with their sibling, their entry's time in force and the position."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.errors import InvalidRequest
from core.market import Quote
from core.orders import Order, OrderStatus, OrderType, TimeInForce
from tests.support import order, tick


def exits_of(service, entry: Order) -> dict[str, Order]:
    return {o.order_type.value: o for o in uc.list_orders(service, "alice") if o.parent_id == entry.id}


def quote(service, clock, bid: str, ask: str, **sizes: str) -> None:
    clock.advance(seconds=1)
    fields = {k: D(v) for k, v in sizes.items()}
    uc.on_quote(service, Quote(symbol="AAPL", bid=D(bid), ask=D(ask), time=clock.now, **fields))


def bracket(service, quantity: str = "10", **fields: str) -> Order:
    prices = {"take_profit_price": "105.00", "stop_loss_price": "95.00", **fields}
    return uc.place_order(service, "alice", order("AAPL", "buy", quantity, order_type="bracket", **prices))


def test_a_stop_triggered_without_bid_size_and_then_a_take_profit_book_one_exit_fill(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = bracket(service)
    quote(service, clock, "94.90", "94.95", bid_size="0", ask_size="100")  # stop touched, nobody to sell to
    assert exits_of(service, entry)["stop"].triggered
    quote(service, clock, "105.10", "105.12")  # buyers are back, at the take-profit level
    exits = exits_of(service, entry)
    fills = service.store.fills.list_for_account("alice")
    assert len([f for f in fills if f.order_id in {o.id for o in exits.values()}]) == 1  # one exit, once
    assert sorted(o.status.value for o in exits.values()) == ["cancelled", "filled"]
    assert [o.filled_quantity for o in exits.values() if o.status is OrderStatus.CANCELLED] == [D(0)]
    assert uc.positions(service, "alice") == []


def test_a_partial_exit_fill_shrinks_the_sibling_to_what_is_still_held(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = bracket(service)
    quote(service, clock, "105.10", "105.12", bid_size="4")  # 4 of 10 sold at the take-profit
    exits = exits_of(service, entry)
    assert exits["limit"].status is OrderStatus.PARTIALLY_FILLED and exits["limit"].filled_quantity == D(4)
    assert exits["stop"].status is OrderStatus.ACCEPTED and exits["stop"].quantity == D(6)
    quote(service, clock, "94.90", "94.95")  # the stop sells the rest, and only the rest
    exits = exits_of(service, entry)
    assert exits["stop"].filled_quantity == D(6) and exits["stop"].status is OrderStatus.FILLED
    assert exits["limit"].status is OrderStatus.CANCELLED
    assert uc.positions(service, "alice") == []


def test_cancelling_one_leg_cancels_its_sibling(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = bracket(service)
    uc.cancel_order(service, "alice", exits_of(service, entry)["limit"].id)
    assert {o.status for o in exits_of(service, entry).values()} == {OrderStatus.CANCELLED}


def test_closing_the_position_by_hand_cancels_or_shrinks_its_exits(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = bracket(service)
    uc.place_order(service, "alice", order("AAPL", "sell", "4"))
    assert {o.quantity for o in exits_of(service, entry).values()} == {D(6)}
    uc.place_order(service, "alice", order("AAPL", "sell", "6"))
    assert {o.status for o in exits_of(service, entry).values()} == {OrderStatus.CANCELLED}
    quote(service, clock, "94.90", "94.95")  # the old stop level: nothing may sell now
    assert uc.positions(service, "alice") == []


def test_an_exit_that_fills_on_submission_takes_its_unsent_sibling_with_it(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = uc.place_order(service, "alice", order(
        "AAPL", "buy", "10", order_type="bracket", limit_price="99.00", take_profit_price="101.00",
        stop_loss_price="95.00", time_in_force="gtc",
    ))
    assert entry.status is OrderStatus.ACCEPTED
    quote(service, clock, "98.80", "98.90", ask_size="4")  # 4 bought at the limit
    quote(service, clock, "101.20", "101.25")  # a gap up: the first exits' take-profit fills
    exits = [o for o in uc.list_orders(service, "alice") if o.parent_id == entry.id]
    sold = sum((o.filled_quantity for o in exits), D(0))
    assert sold == D(4) and [p.quantity for p in uc.positions(service, "alice")] == []
    assert all(not o.status.is_open for o in exits)


def test_bracket_exits_must_lie_beyond_the_base_price_by_a_tick(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    with pytest.raises(InvalidRequest, match=r"beyond its base price 100\.00") as refused:
        bracket(service, take_profit_price="99.50", stop_loss_price="95.00")  # market entry buys at 100.00
    assert refused.value.code == "bracket_exits_not_beyond_base"
    short = order("AAPL", "sell", "10", order_type="bracket", take_profit_price="90.00", stop_loss_price="99.98")
    with pytest.raises(InvalidRequest, match=r"stop_loss_price 99\.98 is not above 99\.98"):
        uc.place_order(service, "alice", short)  # a market sell enters at the bid, 99.98
    assert uc.list_orders(service, "alice") == []


def test_the_legs_keep_the_entrys_time_in_force(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = bracket(service, time_in_force="gtc")
    assert {o.time_in_force for o in exits_of(service, entry).values()} == {TimeInForce.GTC}
    assert {o.order_type for o in exits_of(service, entry).values()} == {OrderType.LIMIT, OrderType.STOP}
