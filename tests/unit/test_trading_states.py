"""Trading states of an account and of the platform (Nautilus' ACTIVE / REDUCING / HALTED): what each lets
through at the gate, what each cancels when it is set, and that each change is audited and notified."""

from __future__ import annotations

import pytest

from core import usecases as uc
from core.accounts import Account, SystemSettings, TradingState
from core.audit import AuditKind
from core.errors import Forbidden, RiskRejected
from core.notifications import NotificationKind
from core.orders import OrderStatus
from tests.support import order, tick


def refused(service: uc.Deps, request, account: str = "alice") -> list[str]:
    with pytest.raises(RiskRejected) as refusal:
        uc.place_order(service, account, request)
    return [reason["code"] for reason in refusal.value.details["reasons"]]


def book(service: uc.Deps, clock) -> dict[str, str]:
    """Long 10 AAPL with a sell limit for 5 (reduces) and a buy limit for 5 (adds); long 10 MSFT by a bracket."""
    tick(service, clock, "AAPL", "99.98", "100.00")
    tick(service, clock, "MSFT", "399.98", "400.00")
    uc.place_order(service, "alice", order("AAPL", "buy", "10"))
    take = uc.place_order(service, "alice", order("AAPL", "sell", "5", order_type="limit", limit_price="120"))
    add = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="90"))
    entry = uc.place_order(service, "alice", order("MSFT", "buy", "10", order_type="bracket",
                                                   take_profit_price="420", stop_loss_price="380"))
    exits = [o.id for o in uc.list_orders(service, "alice", open_only=True) if o.parent_id == entry.id]
    assert len(exits) == 2
    return {"take": take.id, "add": add.id, "exit_1": exits[0], "exit_2": exits[1]}


def working(service: uc.Deps) -> set[str]:
    return {o.id for o in uc.list_orders(service, "alice", open_only=True)}


def test_reducing_cancels_the_orders_that_add_and_keeps_those_that_reduce_and_the_exits(service, clock) -> None:
    ids = book(service, clock)
    ops = uc.get_account(service, "ops")
    cancelled = uc.set_trading_state(service, ops, TradingState.REDUCING, account_id="alice")
    assert [o.id for o in cancelled] == [ids["add"]]
    assert working(service) == {ids["take"], ids["exit_1"], ids["exit_2"]}
    assert uc.get_order(service, "alice", ids["add"]).reason == "trading reducing"


def test_a_reducing_account_accepts_only_orders_that_reduce_a_position(service, clock) -> None:
    book(service, clock)
    uc.set_trading_state(service, uc.get_account(service, "ops"), TradingState.REDUCING, account_id="alice")
    assert refused(service, order("AAPL", "buy", "1")) == ["reducing_only_account"]
    assert refused(service, order("AAPL", "sell", "20")) == ["reducing_only_account"]  # 5 working + 20 > 10 held
    assert refused(service, order("NVDA", "sell", "1", order_type="limit", limit_price="150")) == [
        "reducing_only_account"
    ]
    assert uc.place_order(service, "alice", order("AAPL", "sell", "5")).status is OrderStatus.FILLED
    uc.create_account(service, "bob")
    tick(service, clock, "AAPL", "99.98", "100.00")
    assert uc.place_order(service, "bob", order("AAPL", "buy", "1")).status is OrderStatus.FILLED  # only alice


def test_halted_cancels_every_working_order_and_refuses_even_a_reducing_one_but_an_admin_liquidates(service, clock):
    ids = book(service, clock)
    ops = uc.get_account(service, "ops")
    cancelled = uc.set_trading_state(service, ops, TradingState.HALTED, account_id="alice")
    assert {o.id for o in cancelled} == set(ids.values()) and working(service) == set()
    assert refused(service, order("AAPL", "sell", "5")) == ["kill_switch_account"]
    assert refused(service, order("AAPL", "buy", "5")) == ["kill_switch_account"]
    assert uc.close_position(service, ops, "alice", "AAPL").order.status is OrderStatus.FILLED
    with pytest.raises(RiskRejected):
        uc.close_position(service, uc.get_account(service, "alice"), "alice", "MSFT")  # the trader cannot


def test_active_again_lets_opening_orders_through(service, clock) -> None:
    tick(service, clock, "AAPL", "99.98", "100.00")
    ops = uc.get_account(service, "ops")
    for state in (TradingState.HALTED, TradingState.REDUCING):
        uc.set_trading_state(service, ops, state, account_id="alice")
        assert refused(service, order("AAPL", "buy", "1"))
    assert uc.set_trading_state(service, ops, TradingState.ACTIVE, account_id="alice") == []
    assert uc.place_order(service, "alice", order("AAPL", "buy", "1")).status is OrderStatus.FILLED


def test_the_platform_state_holds_every_account(service, clock) -> None:
    book(service, clock)
    ops = uc.get_account(service, "ops")
    uc.set_trading_state(service, ops, TradingState.REDUCING)
    assert refused(service, order("AAPL", "buy", "1")) == ["reducing_only_global"]
    assert refused(service, order("AAPL", "buy", "1"), account="ops") == ["reducing_only_global"]
    assert uc.place_order(service, "alice", order("AAPL", "sell", "5")).status is OrderStatus.FILLED
    uc.set_trading_state(service, ops, TradingState.HALTED)
    assert refused(service, order("AAPL", "sell", "1")) == ["kill_switch_global"]
    assert uc.kill_switch_state(service) is True and uc.platform_state(service) is TradingState.HALTED


def test_every_state_change_is_audited_and_notified_and_only_an_admin_may_make_one(service, clock) -> None:
    ops = uc.get_account(service, "ops")
    with pytest.raises(Forbidden):
        uc.set_trading_state(service, uc.get_account(service, "alice"), TradingState.HALTED, account_id="alice")
    for state in (TradingState.REDUCING, TradingState.HALTED, TradingState.ACTIVE):
        clock.advance(seconds=1)
        uc.set_trading_state(service, ops, state, account_id="alice")
    changes = [(a.data["previous"], a.data["state"], a.actor) for a in uc.audit_trail(service, "alice")
               if a.kind is AuditKind.KILL_SWITCH]
    assert changes == [("active", "reducing", "ops"), ("reducing", "halted", "ops"), ("halted", "active", "ops")]
    notes = [n for n in uc.list_notifications(service, "alice") if n.kind is NotificationKind.KILL_SWITCH]
    assert [n.data["state"] for n in reversed(notes)] == ["reducing", "halted", "active"]


def test_a_kill_switch_stored_before_trading_states_reads_as_halted() -> None:
    stored = {"id": "old", "created_at": "2026-01-02T00:00:00Z", "limits": {"kill_switch": True}}
    assert Account.model_validate(stored).trading_state is TradingState.HALTED
    stored["limits"] = {"kill_switch": False}
    assert Account.model_validate(stored).trading_state is TradingState.ACTIVE
    assert SystemSettings.model_validate({"global_kill_switch": True}).trading_state is TradingState.HALTED
    assert SystemSettings.model_validate({"global_kill_switch": False}).trading_state is TradingState.ACTIVE


def test_set_kill_switch_engaged_is_halted_and_released_is_active(service) -> None:
    ops = uc.get_account(service, "ops")
    uc.set_kill_switch(service, ops, engaged=True, account_id="alice")
    assert uc.get_account(service, "alice").trading_state is TradingState.HALTED
    uc.set_kill_switch(service, ops, engaged=False, account_id="alice")
    assert uc.get_account(service, "alice").trading_state is TradingState.ACTIVE
