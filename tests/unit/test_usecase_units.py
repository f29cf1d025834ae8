"""Each use case commits all of its writes or none, and each rule holds as configured, not as a constant."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.errors import ConcurrentUpdate, RiskRejected
from core.orders import OrderStatus
from core.risk_limits import RiskLimits
from tests.support import order, tick


class _ConflictingOrders:
    """The orders repository of a unit in which somebody else updates every order first."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def update(self, order):
        raise ConcurrentUpdate(f"Order {order.id} was changed by someone else; reload and retry.")

    def __getattr__(self, name):
        return getattr(self.inner, name)


class _RacedStore:
    """A store whose units lose every order update to a concurrent writer."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def unit(self):
        unit = self.inner.unit()
        unit.orders = _ConflictingOrders(unit.orders)
        return unit

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_fill_whose_order_update_loses_a_race_books_neither_position_nor_fill(service, clock) -> None:
    tick(service, clock, "AAPL", "100.00", "100.02")
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "10", order_type="limit", limit_price="99.00"))
    raced = dataclasses.replace(service, store=_RacedStore(service.store))
    with pytest.raises(ConcurrentUpdate):
        tick(raced, clock, "AAPL", "98.90", "98.95")  # fills the limit, then the order update conflicts
    assert service.store.positions.get("alice", "AAPL") is None
    assert service.store.fills.list_for_account("alice") == []
    assert uc.get_order(service, "alice", resting.id).status is OrderStatus.ACCEPTED
    tick(service, clock, "AAPL", "98.90", "98.95")  # the next quote books it, once
    assert uc.get_order(service, "alice", resting.id).status is OrderStatus.FILLED
    assert [p.quantity for p in uc.positions(service, "alice")] == [D(10)]
    assert len(service.store.fills.list_for_account("alice")) == 1


def test_the_duplicate_window_holds_as_configured_even_beyond_a_minute(service, clock) -> None:
    ops = uc.get_account(service, "ops")
    uc.set_limits(service, ops, "alice", RiskLimits(duplicate_window_seconds=120))
    tick(service, clock, "AAPL", "100.00", "100.02")
    uc.place_order(service, "alice", order("AAPL", "buy", "1"))
    clock.advance(seconds=71)
    tick(service, clock, "AAPL", "100.00", "100.02")  # 72 s after the first order
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "alice", order("AAPL", "buy", "1"))
    assert [r["code"] for r in refused.value.details["reasons"]] == ["duplicate_order"]
    clock.advance(seconds=50)
    tick(service, clock, "AAPL", "100.00", "100.02")  # 123 s: past the window
    assert uc.place_order(service, "alice", order("AAPL", "buy", "1")).status is OrderStatus.FILLED


@pytest.mark.parametrize("field", ["quote_max_age_seconds", "duplicate_window_seconds"])
def test_time_limits_beyond_a_day_are_refused_before_they_are_stored(field) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        RiskLimits(**{field: 10**14})
    assert getattr(RiskLimits(**{field: 86_400}), field) == 86_400
