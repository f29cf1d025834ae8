"""The gate sees working orders: what they could still add counts in the worst direction, and an order only
counts as reducing when it still reduces with them."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.errors import RiskRejected
from core.orders import OrderStatus
from core.risk_limits import RiskLimits
from tests.support import order, tick


def limits(service, **values) -> None:
    base = {"duplicate_window_seconds": 0, "max_orders_per_minute": None}
    uc.set_limits(service, uc.get_account(service, "ops"), "alice", RiskLimits(**(base | values)))


def codes(refused: pytest.ExceptionInfo) -> list[str]:
    return [r["code"] for r in refused.value.details["reasons"]]


def test_resting_buys_count_against_the_position_limit(service, clock) -> None:
    limits(service, max_position_quantity=D(100))
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "100", order_type="limit", limit_price="95.00"))
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "alice", order("AAPL", "buy", "100", order_type="limit", limit_price="94.00"))
    assert codes(refused) == ["max_position"]
    assert "position to 200" in refused.value.message


def test_resting_sells_against_a_long_are_not_all_reducing(service, clock) -> None:
    limits(service, max_position_quantity=D(100))
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "100"))
    for price in ("105.00", "106.00"):  # the first closes the long; the second would open a short of 100
        uc.place_order(service, "alice", order("AAPL", "sell", "100", order_type="limit", limit_price=price))
    with pytest.raises(RiskRejected) as refused:  # a third would make it a short of 200
        uc.place_order(service, "alice", order("AAPL", "sell", "100", order_type="limit", limit_price="107.00"))
    assert codes(refused) == ["max_position"]


def test_working_orders_count_toward_gross_exposure(service, clock) -> None:
    limits(service, max_gross_exposure=D(25000))
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "200", order_type="limit", limit_price="95.00"))
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "alice", order("AAPL", "buy", "60", order_type="limit", limit_price="95.00"))
    assert codes(refused) == ["max_gross_exposure"]


def test_a_filled_or_cancelled_order_leaves_the_book(service, clock) -> None:
    limits(service, max_position_quantity=D(100))
    tick(service, clock, "AAPL", "99.98", "100.00")
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "100", order_type="limit", limit_price="95.00"))
    uc.cancel_order(service, "alice", resting.id)
    assert service.store.books.get("alice").working == {}
    assert uc.place_order(service, "alice", order("AAPL", "buy", "100")).status is OrderStatus.FILLED


def test_crypto_is_never_sold_short(service, clock) -> None:
    tick(service, clock, "BTC-USD", "64990.00", "65010.00")
    uc.place_order(service, "alice", order("BTC-USD", "buy", "0.001"))
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "alice", order("BTC-USD", "sell", "1"))
    assert codes(refused) == ["insufficient_qty_available"]
    assert "hold 0.001 BTC-USD" in refused.value.message and "available 0.001" in refused.value.message
    assert uc.place_order(service, "alice", order("BTC-USD", "sell", "0.001")).status is OrderStatus.FILLED
    with pytest.raises(RiskRejected) as flat:
        uc.place_order(service, "alice", order("BTC-USD", "sell", "0.001"))
    assert "crypto_short" in codes(flat)


def test_an_order_that_only_reduces_passes_the_quantity_and_notional_caps(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "500"))
    limits(service, max_order_quantity=D(100), max_order_notional=D(10000))
    with pytest.raises(RiskRejected):
        uc.place_order(service, "alice", order("AAPL", "buy", "500"))
    assert uc.place_order(service, "alice", order("AAPL", "sell", "500")).status is OrderStatus.FILLED
