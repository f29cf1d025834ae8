"""The gate judges an order on the account as it stands inside the unit the order commits in, not on the copy
loaded when the request was authenticated: a kill switch or a limit cut in between still holds."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.errors import RiskRejected
from core.orders import OrderStatus
from core.risk_limits import RiskLimits
from tests.support import order, tick


def test_an_order_from_an_account_loaded_before_its_kill_switch_was_engaged_is_refused(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    authenticated = uc.get_account(service, "alice")
    uc.set_kill_switch(service, uc.get_account(service, "ops"), engaged=True, account_id="alice")
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, authenticated, order("AAPL", "buy", "10"))
    assert "kill_switch_account" in [r["code"] for r in refused.value.details["reasons"]]
    assert service.store.positions.get("alice", "AAPL") is None


def test_an_order_from_an_account_loaded_before_its_limit_was_cut_is_judged_on_the_new_limit(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    ops = uc.get_account(service, "ops")
    uc.set_limits(service, ops, "alice", RiskLimits(max_order_quantity=D(5000), duplicate_window_seconds=0))
    authenticated = uc.get_account(service, "alice")
    uc.set_limits(service, ops, "alice", RiskLimits(max_order_quantity=D(10), duplicate_window_seconds=0))
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, authenticated, order("AAPL", "buy", "20"))
    assert [r["code"] for r in refused.value.details["reasons"]] == ["max_order_quantity"]


def test_a_change_from_an_account_loaded_before_its_limit_was_cut_is_judged_on_the_new_limit(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    ops = uc.get_account(service, "ops")
    authenticated = uc.get_account(service, "alice")
    resting = uc.place_order(service, authenticated, order("AAPL", "buy", "10", order_type="limit", limit_price="98"))
    uc.set_limits(service, ops, "alice", RiskLimits(max_order_quantity=D(10), duplicate_window_seconds=0))
    with pytest.raises(RiskRejected):
        uc.modify_order(service, authenticated, resting.id, quantity=D(20))
    assert uc.get_order(service, "alice", resting.id).status is OrderStatus.ACCEPTED
