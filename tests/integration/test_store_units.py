"""The unit-of-work contract of core/ports/store, run against every adapter (SQLite, DynamoDB under moto,
memory): a unit's writes are all kept at commit() or none are, and nobody outside sees them before."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from decimal import Decimal
from typing import Any

import pytest

from core.accounts import Account, SystemSettings, TradingState
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound
from core.orders import OrderStatus
from core.ports.store import Store, UnitOfWork
from tests.integration.test_store_records import (
    at,
    ids,
    make_account,
    make_alert,
    make_audit,
    make_close,
    make_fill,
    make_order,
    make_position,
    make_quote,
)

BLOCKED = "still waiting"


class Elsewhere:
    """``read`` run on another thread, as another request of the same process would."""

    def __init__(self, read: Callable[[], Any]) -> None:
        self._result: list[Any] = []
        self._thread = threading.Thread(target=self._run, args=(read,), daemon=True)
        self._thread.start()

    def _run(self, read: Callable[[], Any]) -> None:
        try:
            self._result.append(read())
        except Exception as exc:  # handed back to the test
            self._result.append(exc)

    def outcome(self, wait: float = 0.3) -> Any:
        """What ``read`` returned, or BLOCKED if it is still waiting (the memory store holds readers back
        while a unit is open; SQLite and DynamoDB readers see the last commit at once)."""
        self._thread.join(wait)
        return self._result[0] if self._result else BLOCKED

    def finish(self) -> Any:
        self._thread.join(10)
        return self._result[0]


def booked(store: Store) -> dict[str, Any]:
    """What a fill booking left in ``store``: its order, fills, position, audit records and account version."""
    try:
        order = store.orders.get("O1").filled_quantity
    except NotFound:
        order = None
    position = store.positions.get("acct-1", "AAPL")
    return {
        "order filled": order,
        "fills": ids(store.fills.list_for_account("acct-1")),
        "position": position.quantity if position else None,
        "audit": ids(store.audit.list_for_account("acct-1")),
        "account version": store.accounts.get("acct-1").version,
    }


NOTHING = {"order filled": None, "fills": [], "position": None, "audit": [], "account version": 1}
EVERYTHING = {"order filled": Decimal("10"), "fills": ["F1"], "position": Decimal("10"), "audit": ["A1"]}


def book_a_fill(uow: UnitOfWork, account: Account) -> None:
    """The writes of one fill, as the execution use case makes them: order, fill, position, audit, account."""
    order = uow.orders.add(make_order())
    order.record_fill(Decimal("10"), Decimal("100"), at(1))
    uow.orders.update(order)
    uow.fills.add(make_fill())
    position = uow.positions.get("acct-1", "AAPL") or make_position()
    position.quantity += 10
    uow.positions.save(position)
    uow.audit.append(make_audit())
    uow.accounts.update(account)


def test_a_committed_unit_keeps_every_write(store: Store) -> None:
    account = store.accounts.add(make_account())
    with store.unit() as uow:
        book_a_fill(uow, account)
        uow.commit()
    assert booked(store) == EVERYTHING | {"account version": 2}
    assert store.orders.get("O1").status is OrderStatus.FILLED
    assert store.orders.list_open_for_symbol("AAPL") == []


def test_an_exception_between_two_writes_leaves_nothing(store: Store) -> None:
    account = store.accounts.add(make_account())

    def broker_times_out() -> None:
        raise TimeoutError("broker did not answer")

    with pytest.raises(TimeoutError), store.unit() as uow:
        uow.orders.add(make_order())
        uow.accounts.update(account)
        broker_times_out()
        uow.fills.add(make_fill())
        uow.commit()
    assert booked(store) == NOTHING


def test_a_unit_left_without_commit_leaves_nothing_and_restores_what_it_overwrote(store: Store) -> None:
    account = store.accounts.add(make_account(name="before"))
    settings = store.settings.save(SystemSettings())
    alert = store.alerts.add(make_alert())
    with store.unit() as uow:
        book_a_fill(uow, account.model_copy(update={"name": "after"}))
        uow.settings.save(settings.model_copy(update={"trading_state": TradingState.HALTED}))
        uow.alerts.delete(alert.id)
    assert booked(store) == NOTHING
    assert store.accounts.get("acct-1").name == "before"
    assert store.settings.get() == settings
    assert store.alerts.get(alert.id) == alert


def test_a_stale_account_version_keeps_none_of_the_units_writes(store: Store) -> None:
    stale = store.accounts.add(make_account())
    store.accounts.update(stale.model_copy(update={"name": "moved on"}))
    with pytest.raises(ConcurrentUpdate), store.unit() as uow:
        book_a_fill(uow, stale)
        uow.commit()
    assert booked(store) == NOTHING | {"account version": 2}
    assert store.accounts.get("acct-1").name == "moved on"


def test_an_order_id_already_taken_keeps_none_of_the_units_writes(store: Store) -> None:
    account = store.accounts.add(make_account())
    existing = store.orders.add(make_order(quantity=Decimal("3")))
    with pytest.raises(AlreadyExists), store.unit() as uow:
        book_a_fill(uow, account)
        uow.commit()
    assert store.orders.get("O1") == existing
    assert booked(store) == NOTHING | {"order filled": Decimal("0")}


def test_a_fill_id_already_recorded_keeps_none_of_the_units_writes(store: Store) -> None:
    account = store.accounts.add(make_account())
    store.fills.add(make_fill(order_id="elsewhere"))
    with pytest.raises(AlreadyExists) as raised, store.unit() as uow:
        book_a_fill(uow, account)
        uow.commit()
    assert raised.value.details == {"fill_id": "F1"}
    assert booked(store) == NOTHING | {"fills": ["F1"]}


def test_deleting_a_missing_alert_in_a_unit_keeps_none_of_its_writes(store: Store) -> None:
    account = store.accounts.add(make_account())
    with pytest.raises(NotFound), store.unit() as uow:
        book_a_fill(uow, account)
        uow.alerts.delete("never-added")
        uow.commit()
    assert booked(store) == NOTHING


def test_a_conflict_caught_inside_the_unit_still_dooms_it(store: Store) -> None:
    stale = store.accounts.add(make_account())
    store.accounts.update(stale)
    with store.unit() as uow:
        uow.orders.add(make_order())
        with suppress(ConcurrentUpdate):  # raised here (SQLite, memory) or only at commit (DynamoDB)
            uow.accounts.update(stale)
        with pytest.raises(ConcurrentUpdate):
            uow.commit()
    with pytest.raises(NotFound):
        store.orders.get("O1")


def test_the_store_and_new_units_work_as_before_after_a_refused_unit(store: Store) -> None:
    stale = store.accounts.add(make_account())
    store.accounts.update(stale)
    with pytest.raises(ConcurrentUpdate), store.unit() as uow:
        uow.orders.add(make_order("O0"))
        uow.accounts.update(stale)
        uow.commit()
    store.orders.add(make_order("O2"))
    with store.unit() as uow:
        book_a_fill(uow, store.accounts.get("acct-1"))
        uow.commit()
    assert booked(store) == EVERYTHING | {"account version": 3}
    assert ids(store.orders.list_for_account("acct-1")) == ["O2", "O1"]


def test_get_inside_a_unit_sees_the_units_own_writes(store: Store) -> None:
    store.alerts.add(make_alert("gone"))
    with store.unit() as uow:
        added = uow.accounts.add(make_account())
        assert uow.accounts.get("acct-1") == added
        updated = uow.accounts.update(added.model_copy(update={"name": "Ada"}))
        assert uow.accounts.get("acct-1") == updated
        assert updated.version == 2
        order = uow.orders.add(make_order())
        order.transition(OrderStatus.CANCELLED, at(1))
        cancelled = uow.orders.update(order)
        assert uow.orders.get("O1") == cancelled
        saved = uow.positions.save(make_position(quantity=Decimal("5")))
        assert uow.positions.get("acct-1", "AAPL") == saved
        settings = uow.settings.save(SystemSettings(trading_state=TradingState.HALTED))
        assert uow.settings.get() == settings
        assert uow.prices_and_settings([]) == ({}, {}, settings)
        uow.alerts.delete("gone")
        with pytest.raises(NotFound):
            uow.alerts.get("gone")
        uow.commit()
    assert store.accounts.get("acct-1") == updated
    assert store.orders.get("O1").status is OrderStatus.CANCELLED


def test_an_add_then_update_in_one_unit_stores_the_final_record(store: Store) -> None:
    with store.unit() as uow:
        order = uow.orders.add(make_order(status=OrderStatus.NEW))
        order.transition(OrderStatus.ACCEPTED, at(1))
        order = uow.orders.update(order)
        order.record_fill(Decimal("4"), Decimal("100"), at(2))
        uow.orders.update(order)
        position = uow.positions.save(make_position(quantity=Decimal("4")))
        uow.positions.save(position.model_copy(update={"quantity": Decimal("6")}))
        uow.commit()
    stored = store.orders.get("O1")
    assert (stored.version, stored.status, stored.filled_quantity) == (3, OrderStatus.PARTIALLY_FILLED, 4)
    assert ids(store.orders.list_open_for_symbol("AAPL")) == ["O1"]
    position = store.positions.get("acct-1", "AAPL")
    assert position is not None
    assert (position.version, position.quantity) == (2, 6)


def test_a_stale_update_of_the_units_own_write_is_refused_and_nothing_is_kept(store: Store) -> None:
    with pytest.raises(ConcurrentUpdate), store.unit() as uow:
        added = uow.orders.add(make_order())
        uow.orders.update(added)
        uow.orders.update(added)  # version 1 again: the unit itself has moved the order on to 2
        uow.commit()
    with pytest.raises(NotFound):
        store.orders.get("O1")


def test_nothing_of_a_unit_is_visible_outside_before_commit(store: Store) -> None:
    account = store.accounts.add(make_account())
    with store.unit() as uow:
        book_a_fill(uow, account)
        reader = Elsewhere(lambda: booked(store))
        assert reader.outcome() in (BLOCKED, NOTHING)
        uow.commit()
    assert reader.finish() in (NOTHING, EVERYTHING | {"account version": 2})
    assert Elsewhere(lambda: booked(store)).finish() == EVERYTHING | {"account version": 2}


def test_nothing_of_a_rolled_back_unit_is_ever_visible_outside(store: Store) -> None:
    account = store.accounts.add(make_account())
    with store.unit() as uow:
        book_a_fill(uow, account)
        reader = Elsewhere(lambda: booked(store))
        assert reader.outcome() in (BLOCKED, NOTHING)
        uow.rollback()
    assert reader.finish() == NOTHING
    assert Elsewhere(lambda: booked(store)).finish() == NOTHING


def test_prices_and_settings_return_quotes_closes_and_settings_from_the_store_and_from_a_unit(store: Store) -> None:
    assert store.prices_and_settings(["AAPL"]) == ({}, {}, SystemSettings())
    store.quotes.put(make_quote("AAPL"))
    store.quotes.put(make_quote("MSFT", bid="300", ask="301"))
    store.quotes.put_close(make_close("MSFT", at(0), "299.50"))
    saved = store.settings.save(SystemSettings(trading_state=TradingState.HALTED))
    quotes, closes, settings = store.prices_and_settings(["AAPL", "MSFT", "TSLA", "AAPL"])
    assert sorted(quotes) == ["AAPL", "MSFT"]
    assert quotes["MSFT"].ask == Decimal("301")
    assert closes == {"MSFT": make_close("MSFT", at(0), "299.50")}
    assert settings == saved
    with store.unit() as uow:
        assert uow.prices_and_settings(["MSFT"]) == ({"MSFT": quotes["MSFT"]}, closes, saved)
        again = uow.settings.save(saved.model_copy(update={"trading_state": TradingState.ACTIVE}))
        assert uow.prices_and_settings(["MSFT"]) == ({"MSFT": quotes["MSFT"]}, closes, again)
    assert store.settings.get() == saved


def test_committing_twice_or_rolling_back_after_commit_changes_nothing(store: Store) -> None:
    with store.unit() as uow:
        uow.accounts.add(make_account())
        uow.commit()
        uow.commit()
        uow.rollback()
    assert store.accounts.get("acct-1").version == 1
