"""Modify a working order; close a position, part of it, or all of them."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.errors import Conflict, InvalidRequest, NotFound, RiskRejected
from core.orders import OrderStatus
from core.risk_limits import RiskLimits
from tests.support import order, tick


def test_a_resting_limit_moved_through_the_market_fills_at_once(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="limit", limit_price="98.00"))
    moved = uc.modify_order(service, "alice", resting.id, limit_price=D("100.00"))
    assert moved.status is OrderStatus.FILLED and moved.limit_price == D("100.00")
    assert [a.data.get("modified") for a in uc.audit_trail(service, "alice") if "modified" in a.data] == [
        {"limit_price": "100.00"}
    ]


def test_a_quantity_change_stays_above_what_has_filled_and_passes_the_gate(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="limit", limit_price="98.00"))
    assert uc.modify_order(service, "alice", resting.id, quantity=D(20)).quantity == D(20)
    assert service.store.books.get("alice").working[resting.id].remaining == D(20)
    ops = uc.get_account(service, "ops")
    uc.set_limits(service, ops, "alice", RiskLimits(max_position_quantity=D(25), duplicate_window_seconds=0))
    with pytest.raises(RiskRejected):
        uc.modify_order(service, "alice", resting.id, quantity=D(30))
    assert uc.get_order(service, "alice", resting.id).quantity == D(20)  # a refused change leaves it as it was


def test_only_a_working_order_changes_and_only_in_fields_that_fit_it(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    filled = uc.place_order(service, "alice", order("AAPL", "buy", "10"))
    with pytest.raises(Conflict):
        uc.modify_order(service, "alice", filled.id, quantity=D(5))
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="limit", limit_price="98.00"))
    with pytest.raises(InvalidRequest, match="does not fit"):
        uc.modify_order(service, "alice", resting.id, stop_price=D("101.00"))
    with pytest.raises(InvalidRequest):
        uc.modify_order(service, "alice", resting.id)


def test_a_bracket_exit_can_be_moved(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = uc.place_order(service, "alice", order(
        "AAPL", "buy", "10", order_type="bracket", take_profit_price="105.00", stop_loss_price="95.00"
    ))
    stop = next(o for o in uc.list_orders(service, "alice") if o.parent_id == entry.id and o.order_type.value == "stop")
    assert uc.modify_order(service, "alice", stop.id, stop_price=D("97.00")).stop_price == D("97.00")


def test_closing_half_a_position_rounds_down_to_the_lot_and_all_of_them_flattens(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    tick(service, clock, "CL", "70.00", "70.02")
    uc.place_order(service, "alice", order("AAPL", "buy", "7"))
    uc.place_order(service, "alice", order("CL", "sell", "3"))
    ops = uc.get_account(service, "ops")
    alice = uc.get_account(service, "alice")
    half = uc.close_position(service, alice, "alice", "CL", fraction=D("0.5")).order
    assert (half.side.value, half.quantity, half.source) == ("buy", D(1), "close")  # a future: whole contracts
    closed = uc.close_all(service, ops, "alice").orders
    assert sorted((o.symbol, o.side.value, o.quantity) for o in closed) == [("AAPL", "sell", D(7)), ("CL", "buy", D(2))]
    assert uc.positions(service, "alice") == []
    with pytest.raises(NotFound):
        uc.close_position(service, ops, "alice", "AAPL")


def test_an_admin_can_liquidate_under_a_kill_switch_but_the_trader_cannot_add(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "10"))
    ops = uc.get_account(service, "ops")
    uc.set_kill_switch(service, ops, engaged=True, account_id="alice")
    with pytest.raises(RiskRejected):
        uc.place_order(service, "alice", order("AAPL", "buy", "1"))
    done = uc.close_position(service, ops, "alice", "AAPL").order
    assert done.status is OrderStatus.FILLED
    assert uc.positions(service, "alice") == []


def test_a_bracket_exits_quantity_cannot_be_changed_only_its_price(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = uc.place_order(service, "alice", order(
        "AAPL", "buy", "10", order_type="bracket", take_profit_price="105.00", stop_loss_price="95.00"
    ))
    stop = next(o for o in uc.list_orders(service, "alice") if o.parent_id == entry.id and o.order_type.value == "stop")
    with pytest.raises(InvalidRequest, match="follows the position it protects"):
        uc.modify_order(service, "alice", stop.id, quantity=D(20))
