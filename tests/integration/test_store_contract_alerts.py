"""The alert contract of core/ports/store, run against every adapter (SQLite, DynamoDB under moto,
memory) through the ``store`` fixture."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.alerts import AlertCondition, AlertStatus
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound
from core.ports.store import Store
from tests.integration.test_store_records import at, ids, make_alert, trigger


def test_adding_an_alert_stores_version_one_with_an_exact_threshold(store: Store) -> None:
    alert = make_alert(
        condition=AlertCondition.PCT_MOVE, threshold=Decimal("0.00001"), reference_price=Decimal("12345678.123456789")
    )
    stored = store.alerts.add(alert)
    assert stored.version == 1
    assert stored is not alert
    assert alert.version == 0
    got = store.alerts.get("AL1")
    assert got == stored
    assert str(got.threshold) == "0.00001"
    assert str(got.reference_price) == "12345678.123456789"


def test_alert_times_come_back_as_aware_utc(store: Store) -> None:
    created = datetime(2024, 3, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    store.alerts.add(make_alert(created_at=created))
    got = store.alerts.get("AL1").created_at
    assert got == created
    assert got.utcoffset() == timedelta(0)


def test_adding_an_alert_twice_raises_already_exists(store: Store) -> None:
    store.alerts.add(make_alert())
    with pytest.raises(AlreadyExists):
        store.alerts.add(make_alert(threshold=Decimal("1")))
    assert store.alerts.get("AL1").threshold == Decimal("150")


def test_getting_a_missing_alert_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.alerts.get("missing")


def test_an_alert_returned_by_the_store_is_not_the_stored_record(store: Store) -> None:
    stored = store.alerts.add(make_alert())
    stored.threshold = Decimal("1")
    store.alerts.get("AL1").threshold = Decimal("2")
    assert store.alerts.get("AL1").threshold == Decimal("150")


def test_triggering_an_alert_stores_the_next_version_with_its_exact_price(store: Store) -> None:
    stored = store.alerts.add(make_alert())
    updated = store.alerts.update(trigger(stored, "150.000000001", at(5)))
    assert updated.version == 2
    got = store.alerts.get("AL1")
    assert got == updated
    assert got.status is AlertStatus.TRIGGERED
    assert str(got.triggered_price) == "150.000000001"
    assert got.triggered_at == at(5)


def test_updating_an_alert_with_a_stale_version_raises_concurrent_update(store: Store) -> None:
    first = store.alerts.add(make_alert())
    store.alerts.update(trigger(first, "151", at(1)))
    with pytest.raises(ConcurrentUpdate):
        store.alerts.update(trigger(first, "999", at(2)))
    assert store.alerts.get("AL1").triggered_price == Decimal("151")


def test_updating_a_deleted_alert_raises_concurrent_update_and_does_not_revive_it(store: Store) -> None:
    stored = store.alerts.add(make_alert())
    store.alerts.delete("AL1")
    with pytest.raises(ConcurrentUpdate):
        store.alerts.update(trigger(stored, "151", at(1)))
    with pytest.raises(NotFound):
        store.alerts.get("AL1")


def test_deleting_an_alert_removes_it_and_a_second_delete_raises_not_found(store: Store) -> None:
    store.alerts.add(make_alert())
    store.alerts.add(make_alert("AL2"))
    store.alerts.delete("AL1")
    with pytest.raises(NotFound):
        store.alerts.get("AL1")
    with pytest.raises(NotFound):
        store.alerts.delete("AL1")
    with pytest.raises(NotFound):
        store.alerts.delete("never-added")
    assert ids(store.alerts.list_for_account("acct-1")) == ["AL2"]


def test_alerts_for_an_account_are_newest_first_triggered_included_other_accounts_excluded(store: Store) -> None:
    for n in (2, 0, 3, 1):
        store.alerts.add(make_alert(f"AL{n}", created_at=at(n)))
    store.alerts.update(trigger(store.alerts.get("AL1"), "151", at(9)))
    store.alerts.add(make_alert("X1", account_id="acct-2", created_at=at(5)))
    assert ids(store.alerts.list_for_account("acct-1")) == ["AL3", "AL2", "AL1", "AL0"]
    assert ids(store.alerts.list_for_account("acct-2")) == ["X1"]
    assert store.alerts.list_for_account("nobody") == []


def test_alerts_before_a_cursor_read_the_next_page_and_cancelled_ones_are_left_out_when_asked(store: Store) -> None:
    for n in range(6):
        store.alerts.add(make_alert(f"AL{n}", created_at=at(n)))
    store.alerts.update(store.alerts.get("AL3").model_copy(update={"status": AlertStatus.CANCELLED}))
    first = store.alerts.list_for_account("acct-1", limit=2)
    assert ids(first) == ["AL5", "AL4"]
    after_first = (first[-1].created_at, first[-1].id)
    assert ids(store.alerts.list_for_account("acct-1", limit=2, before=after_first)) == ["AL3", "AL2"]
    assert ids(store.alerts.list_for_account("acct-1", limit=2, before=after_first, cancelled=False)) == ["AL2", "AL1"]
    assert ids(store.alerts.list_for_account("acct-1", cancelled=False)) == ["AL5", "AL4", "AL2", "AL1", "AL0"]
    assert store.alerts.list_for_account("acct-1", before=(at(0), "AL0")) == []


def test_active_alerts_for_a_symbol_span_accounts_oldest_first(store: Store) -> None:
    store.alerts.add(make_alert("late", account_id="acct-2", created_at=at(3)))
    store.alerts.add(make_alert("early", created_at=at(1)))
    store.alerts.add(make_alert("middle", condition=AlertCondition.BELOW, created_at=at(2)))
    store.alerts.add(make_alert("done", created_at=at(0), status=AlertStatus.TRIGGERED))
    store.alerts.add(make_alert("other", symbol="MSFT", created_at=at(0)))
    assert ids(store.alerts.list_active_for_symbol("AAPL")) == ["early", "middle", "late"]
    assert ids(store.alerts.list_active_for_symbol("MSFT")) == ["other"]
    assert store.alerts.list_active_for_symbol("TSLA") == []


def test_an_alert_leaves_the_active_index_when_triggered_or_deleted(store: Store) -> None:
    triggered = store.alerts.add(make_alert("T", created_at=at(0)))
    store.alerts.add(make_alert("D", created_at=at(1)))
    store.alerts.add(make_alert("K", created_at=at(2)))
    assert ids(store.alerts.list_active_for_symbol("AAPL")) == ["T", "D", "K"]

    store.alerts.update(trigger(triggered, "150", at(3)))
    assert ids(store.alerts.list_active_for_symbol("AAPL")) == ["D", "K"]
    store.alerts.delete("D")
    assert ids(store.alerts.list_active_for_symbol("AAPL")) == ["K"]
    assert ids(store.alerts.list_for_account("acct-1")) == ["K", "T"]


def test_updating_an_active_alert_keeps_it_in_the_active_index(store: Store) -> None:
    stored = store.alerts.add(make_alert())
    store.alerts.update(stored.model_copy(update={"threshold": Decimal("160.5")}))
    [active] = store.alerts.list_active_for_symbol("AAPL")
    assert (active.threshold, active.version) == (Decimal("160.5"), 2)
