"""Bracket exits and one-cancels-other, as the booking side uses them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.brackets import exit_requests, oco_siblings
from core.errors import InvalidRequest
from core.orders import Order, OrderStatus, OrderType, Side, TimeInForce

D = Decimal
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def bracket(side: Side = Side.BUY, take_profit: str = "110", stop_loss: str = "90") -> Order:
    return Order(
        id="ENTRY", account_id="acc-1", symbol="AAPL", side=side, quantity=D(100), order_type=OrderType.BRACKET,
        take_profit_price=D(take_profit), stop_loss_price=D(stop_loss), created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def test_the_exits_take_the_time_in_force_of_their_entry_as_alpaca_legs_do() -> None:
    gtc = bracket().model_copy(update={"time_in_force": TimeInForce.GTC})
    assert {leg.time_in_force for leg in exit_requests(gtc, D(40))} == {TimeInForce.GTC}
    assert {leg.time_in_force for leg in exit_requests(bracket(), D(40))} == {TimeInForce.DAY}


def exit_order(id: str, group: str | None = "G1", status: OrderStatus = OrderStatus.ACCEPTED) -> Order:
    return Order(
        id=id, account_id="acc-1", symbol="AAPL", side=Side.SELL, quantity=D(100), order_type=OrderType.LIMIT,
        limit_price=D("110"), oco_group=group, status=status, created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def test_a_filled_buy_bracket_gets_a_sell_limit_at_take_profit_and_a_sell_stop_at_stop_loss() -> None:
    take_profit, stop_loss = exit_requests(bracket(), D(40))
    assert (take_profit.side, take_profit.quantity, take_profit.order_type) == (Side.SELL, D(40), OrderType.LIMIT)
    assert (take_profit.limit_price, take_profit.time_in_force) == (D("110"), TimeInForce.DAY)
    assert (stop_loss.side, stop_loss.quantity, stop_loss.order_type) == (Side.SELL, D(40), OrderType.STOP)
    assert (stop_loss.stop_price, stop_loss.time_in_force) == (D("90"), TimeInForce.DAY)
    assert take_profit.symbol == stop_loss.symbol == "AAPL"


def test_a_sell_bracket_is_exited_with_buy_orders() -> None:
    take_profit, stop_loss = exit_requests(bracket(Side.SELL, take_profit="90", stop_loss="110"), D(100))
    assert (take_profit.side, take_profit.limit_price) == (Side.BUY, D("90"))
    assert (stop_loss.side, stop_loss.stop_price) == (Side.BUY, D("110"))


def test_only_a_bracket_has_exits() -> None:
    with pytest.raises(InvalidRequest, match="not a bracket"):
        exit_requests(exit_order("X"), D(1))


@pytest.mark.parametrize("quantity", ["0", "101"])
def test_the_exit_quantity_must_be_a_part_of_the_entry(quantity: str) -> None:
    with pytest.raises(InvalidRequest):
        exit_requests(bracket(), D(quantity))


def test_oco_siblings_are_the_other_unfinished_orders_of_the_same_group() -> None:
    filled = exit_order("TP", status=OrderStatus.FILLED)
    group = [
        filled,
        exit_order("SL"),
        exit_order("SL-PARTIAL", status=OrderStatus.PARTIALLY_FILLED),
        exit_order("NOT-YET-SENT", status=OrderStatus.NEW),
        exit_order("GONE", status=OrderStatus.CANCELLED),
        exit_order("OTHER", group="G2"),
    ]
    assert [o.id for o in oco_siblings(filled, group)] == ["SL", "SL-PARTIAL", "NOT-YET-SENT"]


def test_an_order_outside_any_group_has_no_siblings() -> None:
    assert oco_siblings(exit_order("TP", group=None), [exit_order("SL", group=None)]) == []
