"""Changing an order that has begun to work: a partly filled order is judged on what would remain working,
a triggered stop is a market order (no change), a triggered stop-limit is a limit (its limit may move)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.accounts import AccountKind
from core.errors import Conflict, RiskRejected
from core.market import Quote
from core.orders import OrderStatus
from core.risk_limits import RiskLimits
from tests.support import Clock, order, tick


def quote(service: uc.Deps, clock: Clock, bid: str, ask: str, *, bid_size: str | None = None,
          ask_size: str | None = None) -> None:
    clock.advance(seconds=1)
    sizes = {"bid_size": D(bid_size) if bid_size else None, "ask_size": D(ask_size) if ask_size else None}
    uc.on_quote(service, Quote(symbol="AAPL", bid=D(bid), ask=D(ask), time=clock.now, **sizes))


def cash_account(service: uc.Deps, cash: str) -> None:
    account = service.store.accounts.get("alice")
    account.kind, account.starting_cash = AccountKind.CASH, D(cash)
    account.limits = RiskLimits(duplicate_window_seconds=0)
    service.store.accounts.update(account)


def half_filled_buy(service: uc.Deps, clock: Clock, quantity: str = "100", thin: str = "50") -> str:
    """A buy limit at 99 that took the ``thin`` shares offered there, the rest resting below the market."""
    quote(service, clock, "98.98", "99.00", ask_size=thin)
    placed = uc.place_order(service, "alice", order("AAPL", "buy", quantity, order_type="limit", limit_price="99"))
    assert placed.filled_quantity == D(thin) and placed.status is OrderStatus.PARTIALLY_FILLED
    quote(service, clock, "99.18", "99.20")
    return placed.id


def test_moving_a_half_filled_buy_is_judged_on_what_remains_not_the_whole_order(service, clock) -> None:
    cash_account(service, "10000")  # 50 at 99 spent 4,950: 5,050 left, and the 50 remaining at 99.10 need 4,955
    order_id = half_filled_buy(service, clock)
    moved = uc.modify_order(service, "alice", order_id, limit_price=D("99.10"))
    assert moved.limit_price == D("99.10") and moved.status is OrderStatus.PARTIALLY_FILLED


def test_cutting_a_half_filled_buy_is_judged_on_what_remains(service, clock) -> None:
    cash_account(service, "10000")
    order_id = half_filled_buy(service, clock)
    cut = uc.modify_order(service, "alice", order_id, quantity=D(90))
    assert cut.quantity == D(90) and cut.remaining_quantity == D(40)


def test_a_price_change_on_a_partly_filled_order_counts_its_fills_once_against_the_position_cap(service, clock):
    uc.set_limits(service, uc.get_account(service, "ops"), "alice",
                  RiskLimits(max_position_quantity=D(100), duplicate_window_seconds=0))
    order_id = half_filled_buy(service, clock, thin="60")
    assert uc.modify_order(service, "alice", order_id, limit_price=D("99.05")).limit_price == D("99.05")


def test_a_partly_filled_order_still_may_not_grow_past_what_the_account_can_pay(service, clock) -> None:
    cash_account(service, "10000")
    order_id = half_filled_buy(service, clock)
    with pytest.raises(RiskRejected) as refused:
        uc.modify_order(service, "alice", order_id, quantity=D(110))  # 60 more at 99: 5,940 of 5,050
    assert [r["code"] for r in refused.value.details["reasons"]] == ["insufficient_buying_power"]


def long_ten_with_a_stop(service: uc.Deps, clock: Clock, **stop: str) -> str:
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "10"))
    return uc.place_order(service, "alice", order("AAPL", "sell", "10", **stop)).id


def test_a_change_to_a_triggered_stop_is_refused_as_order_triggered_and_the_stop_stays_as_it_was(service, clock):
    stop_id = long_ten_with_a_stop(service, clock, order_type="stop", stop_price="95")
    quote(service, clock, "94.50", "94.60", bid_size="0")  # through the stop, and nobody bids: triggered, unfilled
    assert uc.get_order(service, "alice", stop_id).triggered
    with pytest.raises(Conflict) as refused:
        uc.modify_order(service, "alice", stop_id, stop_price=D("90"))
    assert refused.value.code == "order_triggered"
    assert uc.get_order(service, "alice", stop_id).stop_price == D("95")


def test_a_triggered_stop_limits_limit_can_move_but_its_stop_cannot(service, clock) -> None:
    stop_id = long_ten_with_a_stop(service, clock, order_type="stop_limit", stop_price="95", limit_price="94.80")
    quote(service, clock, "94.50", "94.60")  # triggers; the limit at 94.80 is above the bid, so it rests
    assert uc.get_order(service, "alice", stop_id).triggered
    moved = uc.modify_order(service, "alice", stop_id, limit_price=D("94.70"))
    assert moved.limit_price == D("94.70") and moved.status is OrderStatus.ACCEPTED
    with pytest.raises(Conflict) as refused:
        uc.modify_order(service, "alice", stop_id, stop_price=D("94"))
    assert refused.value.code == "order_triggered"
    assert uc.modify_order(service, "alice", stop_id, limit_price=D("94.40")).status is OrderStatus.FILLED
