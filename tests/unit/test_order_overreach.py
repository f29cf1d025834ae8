"""Orders that would quietly overreach: a bracket that covers a short re-opening it on a gap, a chat ticket
counted as an order placed, and a fill that pays slippage the gate did not price."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.accounts import AccountKind
from core.errors import RiskRejected
from core.market import Quote
from core.orders import OrderRequest, OrderStatus
from core.risk_limits import RiskLimits
from infra.brokers.paper import PaperBroker
from tests.support import order, tick


def quote(service, clock, symbol: str, bid: str, ask: str) -> None:
    clock.advance(seconds=1)
    uc.on_quote(service, Quote(symbol=symbol, bid=D(bid), ask=D(ask), time=clock.now))


def held(service, symbol: str, account: str = "alice") -> D:
    position = service.store.positions.get(account, symbol)
    return D(0) if position is None else position.quantity


def exits_of(service, entry_id: str, account: str = "alice") -> list:
    return [o for o in uc.list_orders(service, account) if o.parent_id == entry_id]


def test_a_buy_bracket_that_only_covers_a_short_spawns_no_exits_even_on_a_gap(service, clock) -> None:
    tick(service, clock, "AAPL", "109.98", "110.00")
    uc.place_order(service, "alice", order("AAPL", "sell", "10"))  # short 10
    entry = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="bracket", limit_price="100.00",
                                                   take_profit_price="105.00", stop_loss_price="95.00"))
    quote(service, clock, "AAPL", "94.00", "94.02")  # a gap through the entry and the stop-loss at once
    assert service.store.orders.get(entry.id).status is OrderStatus.FILLED
    assert held(service, "AAPL") == 0
    assert exits_of(service, entry.id) == []


def test_a_buy_bracket_that_covers_a_short_and_goes_long_protects_only_the_long(service, clock) -> None:
    tick(service, clock, "AAPL", "109.98", "110.00")
    uc.place_order(service, "alice", order("AAPL", "sell", "4"))  # short 4
    entry = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="bracket", limit_price="100.00",
                                                   take_profit_price="105.00", stop_loss_price="95.00"))
    quote(service, clock, "AAPL", "99.00", "99.02")
    assert held(service, "AAPL") == 6
    assert sorted(o.quantity for o in exits_of(service, entry.id)) == [D(6), D(6)]


def test_staging_the_same_order_twice_is_not_a_duplicate_of_an_order_never_placed(service, clock) -> None:
    limits = uc.limits(service, "alice").model_copy(update={"duplicate_window_seconds": 5})
    uc.set_limits(service, uc.get_account(service, "ops"), "alice", limits)
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.stage_order(service, "alice", order("AAPL", "buy", "10"))
    clock.advance(seconds=1)
    second = uc.stage_order(service, "alice", order("AAPL", "buy", "10"))
    assert second.decision.approved
    uc.confirm_order(service, "alice", second.code)
    with pytest.raises(RiskRejected) as placed_twice:  # once one is placed, the same order again is a duplicate
        uc.place_order(service, "alice", order("AAPL", "buy", "10"))
    assert "duplicate_order" in [r["code"] for r in placed_twice.value.details["reasons"]]


@pytest.fixture
def slipping(service) -> uc.Deps:
    """The platform with a paper broker that pays 25 bps of slippage on orders at market."""
    slipping = uc.Deps(store=service.store, broker=PaperBroker(slippage_bps=D(25)), clock=service.clock,
                       sessions=service.sessions)
    uc.create_account(slipping, "carl", starting_cash=D("10000"))
    stored = slipping.store.accounts.get("carl")
    slipping.store.accounts.update(stored.model_copy(update={"kind": AccountKind.CASH}))
    uc.set_limits(slipping, uc.get_account(slipping, "ops"), "carl",
                  RiskLimits(max_order_notional=None, max_gross_exposure=None, max_position_quantity=None,
                             max_order_quantity=None, daily_loss_limit=None, duplicate_window_seconds=0))
    return slipping


def test_the_gate_prices_an_order_at_market_at_what_its_fill_will_pay(slipping, clock) -> None:
    tick(slipping, clock, "AAPL", "99.98", "100.00")  # a buy at market pays 100.25
    with pytest.raises(RiskRejected) as refused:  # 100 x 100.25 = 10,025 against 10,000 of cash
        uc.place_order(slipping, "carl", order("AAPL", "buy", "100"))
    assert [r["code"] for r in refused.value.details["reasons"]] == ["insufficient_buying_power"]
    assert uc.place_order(slipping, "carl", order("AAPL", "buy", "99")).status is OrderStatus.FILLED
    assert uc.portfolio(slipping, "carl").cash >= 0


def test_a_notional_order_spends_no_more_than_its_notional_slippage_included(slipping, clock) -> None:
    tick(slipping, clock, "AAPL", "99.98", "100.00")
    placed = uc.place_order(slipping, "carl", OrderRequest(symbol="AAPL", side="buy", notional=D(1000)))
    spent = placed.filled_quantity * placed.average_price
    assert placed.status is OrderStatus.FILLED and spent <= D(1000) and spent > D(999)
