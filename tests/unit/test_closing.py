"""Closing a position never sells it twice: in the unit of the close the working orders that reduce it are
cancelled (a full close) or shrunk (a part close), a close already in flight is counted, fractions close as
fractions, and closing everything closes what its market lets it close now and says why for the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.errors import Conflict
from core.market import Quote
from core.orders import OrderStatus
from tests.support import order, tick


def quote(service, clock, symbol: str, bid: str, ask: str, **sizes: str) -> None:
    clock.advance(seconds=1)
    uc.on_quote(service, Quote(symbol=symbol, bid=D(bid), ask=D(ask), time=clock.now,
                               **{k: D(v) for k, v in sizes.items()}))


def held(service, symbol: str, account: str = "alice") -> D:
    position = service.store.positions.get(account, symbol)
    return D(0) if position is None else position.quantity


def test_a_close_cancels_the_working_stop_so_a_drop_cannot_sell_the_position_again(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "100"))
    stop = uc.place_order(service, "alice", order("AAPL", "sell", "100", order_type="stop", stop_price="90.00",
                                                  time_in_force="gtc"))
    closed = uc.close_position(service, uc.get_account(service, "alice"), "alice", "AAPL")
    assert closed.order.status is OrderStatus.FILLED and closed.cancelled == [stop.id]
    assert service.store.orders.get(stop.id).status is OrderStatus.CANCELLED
    tick(service, clock, "AAPL", "89.00", "89.02")  # the drop that would have fired the stop
    assert held(service, "AAPL") == 0


def test_a_close_that_filled_in_part_is_in_flight_and_a_retry_does_not_close_again(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "100"))
    quote(service, clock, "AAPL", "99.98", "100.00", bid_size="30", ask_size="100")  # a thin bid
    alice = uc.get_account(service, "alice")
    first = uc.close_position(service, alice, "alice", "AAPL").order
    assert first.filled_quantity == D(30) and first.status is OrderStatus.PARTIALLY_FILLED
    [view] = uc.positions(service, "alice")
    assert (view.held, view.held_for_orders, view.available) == (D(70), D(70), D(0))
    with pytest.raises(Conflict) as again:
        uc.close_position(service, alice, "alice", "AAPL")
    assert again.value.code == "close_in_flight"
    quote(service, clock, "AAPL", "99.97", "99.99")  # buyers are back: the first close takes the rest
    assert held(service, "AAPL") == 0


def test_a_full_close_of_a_bracketed_position_cancels_both_exits_and_lists_them(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="bracket",
                                                   take_profit_price="105.00", stop_loss_price="95.00"))
    exits = sorted(o.id for o in uc.list_orders(service, "alice", open_only=True) if o.parent_id == entry.id)
    closed = uc.close_position(service, uc.get_account(service, "alice"), "alice", "AAPL")
    assert closed.order.status is OrderStatus.FILLED and sorted(closed.cancelled) == exits
    assert uc.list_orders(service, "alice", open_only=True) == []


def test_a_part_close_shrinks_the_exits_to_what_it_leaves(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="bracket",
                                                   take_profit_price="105.00", stop_loss_price="95.00"))
    closed = uc.close_position(service, uc.get_account(service, "alice"), "alice", "AAPL", quantity=D(4))
    assert closed.order.filled_quantity == D(4) and closed.cancelled == []
    exits = [o for o in uc.list_orders(service, "alice", open_only=True) if o.parent_id == entry.id]
    assert sorted(o.remaining_quantity for o in exits) == [D(6), D(6)]


def test_a_fraction_of_a_fractional_position_closes_as_a_fraction(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "0.5"))
    half = uc.close_position(service, uc.get_account(service, "alice"), "alice", "AAPL", fraction=D("0.5")).order
    assert half.quantity == D("0.25") and half.status is OrderStatus.FILLED
    assert held(service, "AAPL") == D("0.25")


def test_closing_everything_outside_new_york_hours_closes_crypto_and_crude_and_says_why_not_apple(
    service, clock
) -> None:
    for symbol, bid, ask in (("AAPL", "99.98", "100.00"), ("CL", "70.00", "70.02"),
                             ("BTC-USD", "60000.00", "60000.10")):
        tick(service, clock, symbol, bid, ask)
        uc.place_order(service, "alice", order(symbol, "buy", "1"))
    clock.now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # Monday 18:30 in New York: NYSE shut, CME open
    for symbol, bid, ask in (("AAPL", "99.98", "100.00"), ("CL", "70.00", "70.02"),
                             ("BTC-USD", "60000.00", "60000.10")):
        tick(service, clock, symbol, bid, ask)
    done = uc.close_all(service, uc.get_account(service, "ops"), "alice")
    outcome = {r.symbol: (r.closed, r.code) for r in done.results}
    assert outcome == {"AAPL": (False, "risk_rejected"), "CL": (True, None), "BTC-USD": (True, None)}
    refused = next(r for r in done.results if r.symbol == "AAPL")
    assert "opens" in (refused.message or "")
    assert (held(service, "AAPL"), held(service, "CL"), held(service, "BTC-USD")) == (D(1), D(0), D(0))
