"""What working orders have promised: ``held``, ``held_for_orders`` and ``available`` per position, the one
account the gate, the close, buying power, what_if and the positions read."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.accounts import AccountKind
from core.errors import RiskRejected
from core.orders import OrderStatus
from core.risk_limits import RiskLimits
from tests.support import order, tick

OPEN = RiskLimits(max_order_notional=None, max_gross_exposure=None, max_position_quantity=None,
                  max_order_quantity=None, daily_loss_limit=None, duplicate_window_seconds=0,
                  price_collar_percent=None)


def open_account(service, name: str, kind: AccountKind, cash: str = "1000000") -> None:
    uc.create_account(service, name, starting_cash=D(cash))
    stored = service.store.accounts.get(name)
    service.store.accounts.update(stored.model_copy(update={"kind": kind}))
    uc.set_limits(service, uc.get_account(service, "ops"), name, OPEN)


def codes(refused: pytest.ExceptionInfo) -> list[str]:
    return [r["code"] for r in refused.value.details["reasons"]]


def held_of(service, account: str, symbol: str) -> D:
    position = service.store.positions.get(account, symbol)
    return D(0) if position is None else position.quantity


def bracket(service, account: str, symbol: str, quantity: str, tp: str, sl: str):
    return uc.place_order(service, account, order(symbol, "buy", quantity, order_type="bracket",
                                                  take_profit_price=tp, stop_loss_price=sl))


# -- defect 1: a bracket's exits are working sells ------------------------------------------------------

def test_a_cash_account_cannot_sell_again_what_its_bracket_exits_already_sell(service, clock) -> None:
    open_account(service, "carol", AccountKind.CASH)
    tick(service, clock, "AAPL", "99.98", "100.00")
    bracket(service, "carol", "AAPL", "10", "105.00", "95.00")
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "carol", order("AAPL", "sell", "10", order_type="limit", limit_price="106.00"))
    assert codes(refused) == ["insufficient_qty_available"]
    message = refused.value.message
    assert "hold 10" in message and "available 0" in message and "held for orders 10" in message
    tick(service, clock, "AAPL", "105.10", "105.12")  # the take-profit fills
    tick(service, clock, "AAPL", "106.10", "106.12")
    assert held_of(service, "carol", "AAPL") == 0


def test_crypto_on_a_margin_account_cannot_be_sold_twice_either(service, clock) -> None:
    open_account(service, "mary", AccountKind.MARGIN)
    tick(service, clock, "BTC-USD", "60000.00", "60000.10")
    bracket(service, "mary", "BTC-USD", "1", "63000.00", "57000.00")
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "mary", order("BTC-USD", "sell", "1", order_type="limit", limit_price="64000.00"))
    assert codes(refused) == ["insufficient_qty_available"]


def test_on_margin_a_sell_beyond_what_is_available_is_judged_as_an_opening_short(service, clock) -> None:
    open_account(service, "mia", AccountKind.MARGIN, "10000")
    tick(service, clock, "AAPL", "99.98", "100.00")
    bracket(service, "mia", "AAPL", "10", "105.00", "95.00")
    placed = uc.place_order(service, "mia", order("AAPL", "sell", "10", order_type="limit", limit_price="106.00"))
    assert placed.status is OrderStatus.ACCEPTED  # a short of 10 the margin account can carry
    with pytest.raises(RiskRejected) as refused:  # but a short of 300 (15,000 of margin) it cannot
        uc.place_order(service, "mia", order("AAPL", "sell", "300", order_type="limit", limit_price="106.00"))
    assert "insufficient_buying_power" in codes(refused)


def test_the_positions_show_held_held_for_orders_and_available(service, clock) -> None:
    open_account(service, "carol", AccountKind.CASH)
    tick(service, clock, "AAPL", "99.98", "100.00")
    bracket(service, "carol", "AAPL", "10", "105.00", "95.00")  # one OCO group: counted once, at 10
    uc.place_order(service, "carol", order("AAPL", "buy", "5"))
    [view] = uc.positions(service, "carol")
    assert (view.held, view.held_for_orders, view.available) == (D(15), D(10), D(5))
    uc.place_order(service, "carol", order("AAPL", "sell", "3", order_type="limit", limit_price="120.00"))
    [view] = uc.positions(service, "carol")
    assert (view.held, view.held_for_orders, view.available) == (D(15), D(13), D(2))


# -- buying power: a sell that only closes consumes none --------------------------------------------------

def test_a_working_sell_that_only_closes_a_long_ties_up_no_buying_power(service, clock) -> None:
    open_account(service, "carl", AccountKind.CASH, "10000")
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "carl", order("AAPL", "buy", "50"))
    before = uc.portfolio(service, "carl").buying_power
    uc.place_order(service, "carl", order("AAPL", "sell", "30", order_type="limit", limit_price="120.00"))
    assert uc.portfolio(service, "carl").buying_power == before
    seen = uc.what_if(service, "carl", order("AAPL", "sell", "20"))  # the 20 still available
    assert seen.decision.approved and seen.requirement == 0
    assert seen.buying_power_after == seen.buying_power + D("1999.60")  # 20 sold at the 99.98 bid


# -- defect 3: no check is skipped for want of a price ----------------------------------------------------

def test_an_opening_order_the_gate_cannot_price_is_refused(service, clock) -> None:
    open_account(service, "cash", AccountKind.CASH, "10000")
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "cash", order("MSFT", "buy", "10000", order_type="trailing_stop",
                                              trail_amount="1.00"))
    assert "no_reference_price" in codes(refused)
    assert uc.list_orders(service, "cash", open_only=True) == []


def test_moving_a_bracket_exit_on_a_cash_account_is_judged_without_its_own_group(service, clock) -> None:
    open_account(service, "carol", AccountKind.CASH)
    tick(service, clock, "AAPL", "99.98", "100.00")
    entry = bracket(service, "carol", "AAPL", "10", "105.00", "95.00")
    take_profit = next(o for o in uc.list_orders(service, "carol", open_only=True)
                       if o.parent_id == entry.id and o.limit_price is not None)
    moved = uc.modify_order(service, "carol", take_profit.id, limit_price=D("107.00"))
    assert moved.limit_price == D("107.00") and moved.status is OrderStatus.ACCEPTED
