"""The contract of the notification outbox, the alert change log, signal sources and quotes written inside a
unit of work, run against every adapter (SQLite, DynamoDB under moto, memory) through the ``store`` fixture."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from core.alerts import AlertStatus
from core.errors import AlreadyExists, StaleQuote
from core.notifications import Notification, NotificationKind
from core.ports.store import Store
from core.signals import SignalMode, SignalSource
from tests.integration.test_store_records import T0, at, ids, make_alert, make_audit, make_quote


def make_notification(notification_id: str = "N1", *, account_id: str = "acct-1", created: datetime = T0,
                      **fields: Any) -> Notification:
    values: dict[str, Any] = {"kind": NotificationKind.FILL, "text": f"note {notification_id}", "data": {"n": 1}}
    return Notification(id=notification_id, account_id=account_id, created_at=created, **(values | fields))


# --- Notifications -------------------------------------------------------------------------------------


def test_a_notification_is_stored_once_and_read_back_exactly(store: Store) -> None:
    store.notifications.add(make_notification(data={"price": "190.0200", "nested": {"a": [1, 2]}}))
    got = store.notifications.get("N1")
    assert got == make_notification(data={"price": "190.0200", "nested": {"a": [1, 2]}})
    assert store.notifications.get("missing") is None
    with pytest.raises(AlreadyExists):
        store.notifications.add(make_notification(text="another"))
    assert store.notifications.get("N1").text == "note N1"


def test_an_accounts_notifications_are_newest_first_its_own_only_and_limited(store: Store) -> None:
    for n in (2, 0, 3, 1):
        store.notifications.add(make_notification(f"N{n}", created=at(n)))
    store.notifications.add(make_notification("X", account_id="acct-2", created=at(9)))
    assert ids(store.notifications.list_for_account("acct-1")) == ["N3", "N2", "N1", "N0"]
    assert ids(store.notifications.list_for_account("acct-1", limit=2)) == ["N3", "N2"]
    assert ids(store.notifications.list_for_account("acct-2")) == ["X"]
    assert store.notifications.list_for_account("nobody") == []


def test_notifications_before_a_cursor_read_the_next_page_each_once(store: Store) -> None:
    for n in range(5):
        store.notifications.add(make_notification(f"N{n}", created=at(n)))
    store.notifications.add(make_notification("N2b", created=at(2)))  # a tie on time: the id decides
    first = store.notifications.list_for_account("acct-1", limit=3)
    assert ids(first) == ["N4", "N3", "N2b"]
    rest = store.notifications.list_for_account("acct-1", limit=3, before=(first[-1].created_at, first[-1].id))
    assert ids(rest) == ["N2", "N1", "N0"]
    assert store.notifications.list_for_account("acct-1", before=(at(0), "N0")) == []


def test_unsent_notifications_are_oldest_first_and_leave_the_list_once_marked_sent(store: Store) -> None:
    for n in (1, 0, 2):
        store.notifications.add(make_notification(f"N{n}", account_id=f"acct-{n}", created=at(n)))
    assert ids(store.notifications.list_unsent()) == ["N0", "N1", "N2"]
    assert ids(store.notifications.list_unsent(limit=2)) == ["N0", "N1"]

    store.notifications.mark_sent(store.notifications.get("N1"), at(5))
    assert ids(store.notifications.list_unsent()) == ["N0", "N2"]
    assert store.notifications.get("N1").sent_at == at(5)
    assert ids(store.notifications.list_for_account("acct-1")) == ["N1"]  # still listed for its trader


def test_a_notification_commits_with_its_unit_or_not_at_all(store: Store) -> None:
    with store.unit() as uow:
        uow.notifications.add(make_notification("kept"))
        uow.audit.append(make_audit("A1"))
        uow.commit()
    with store.unit() as uow:
        uow.notifications.add(make_notification("dropped"))
        uow.audit.append(make_audit("A2"))
    assert store.notifications.get("kept") is not None
    assert store.notifications.get("dropped") is None
    assert ids(store.audit.list_for_account("acct-1")) == ["A1"]


def test_a_repeated_notification_id_refuses_its_whole_unit(store: Store) -> None:
    """The id derives from the event that caused it: a second unit for the same event keeps nothing."""
    store.notifications.add(make_notification("N1"))
    with pytest.raises(AlreadyExists), store.unit() as uow:
        uow.audit.append(make_audit("A9"))
        try:
            uow.notifications.add(make_notification("N1", text="again"))
        finally:
            uow.commit()
    assert store.audit.list_for_account("acct-1") == []
    assert store.notifications.get("N1").text == "note N1"


# --- Signal sources ------------------------------------------------------------------------------------


def test_a_signal_source_keeps_its_secret_and_its_id_once(store: Store) -> None:
    source = SignalSource(id="S1", account_id="acct-1", name="TradingView", mode=SignalMode.STAGE,
                          secret="s3cret-value", created_at=T0)
    assert store.signal_sources.add(source) == source
    assert store.signal_sources.get("S1") == source
    assert store.signal_sources.get("S2") is None
    with pytest.raises(AlreadyExists):
        store.signal_sources.add(source.model_copy(update={"secret": "other"}))
    assert store.signal_sources.get("S1").secret == "s3cret-value"


def test_an_accounts_signal_sources_are_listed_oldest_first_and_only_its_own(store: Store) -> None:
    def source(source_id: str, account_id: str, minutes: int) -> SignalSource:
        return SignalSource(id=source_id, account_id=account_id, name="tv", mode=SignalMode.NOTIFY,
                            secret="s", created_at=T0 + timedelta(minutes=minutes))

    for made in (source("S2", "acct-1", 2), source("S1", "acct-1", 1), source("S3", "acct-2", 0)):
        store.signal_sources.add(made)
    assert [s.id for s in store.signal_sources.list_for_account("acct-1")] == ["S1", "S2"]
    assert [s.id for s in store.signal_sources.list_for_account("acct-2")] == ["S3"]
    assert store.signal_sources.list_for_account("acct-3") == []


# --- The alert change log ------------------------------------------------------------------------------


def test_the_change_log_numbers_entries_in_commit_order_and_reads_past_a_cursor(store: Store) -> None:
    assert store.alerts.last_change() == 0
    assert store.alerts.changes_since(0) == []
    for n in range(3):
        with store.unit() as uow:
            alert = uow.alerts.add(make_alert(f"AL{n}"))
            uow.alerts.log_change(alert, at(n))
            uow.commit()
    assert store.alerts.last_change() == 3
    changes = store.alerts.changes_since(0)
    assert [(c.seq, c.alert.id, c.time) for c in changes] == [(1, "AL0", at(0)), (2, "AL1", at(1)), (3, "AL2", at(2))]
    assert [c.seq for c in store.alerts.changes_since(2)] == [3]
    assert store.alerts.changes_since(3) == []


def test_a_unit_that_does_not_commit_leaves_no_entry_and_no_gap(store: Store) -> None:
    with store.unit() as uow:
        uow.alerts.log_change(make_alert("gone"), at(0))
    with store.unit() as uow:
        cancelled = make_alert("AL1", status=AlertStatus.CANCELLED)
        uow.alerts.log_change(cancelled, at(1))
        uow.alerts.log_change(make_alert("AL2"), at(2))
        uow.commit()
    assert [(c.seq, c.alert.id, c.alert.status) for c in store.alerts.changes_since(0)] == [
        (1, "AL1", AlertStatus.CANCELLED), (2, "AL2", AlertStatus.ACTIVE),
    ]
    assert store.alerts.last_change() == 2


# --- Quotes inside a unit ------------------------------------------------------------------------------


def test_a_quote_put_in_a_unit_is_kept_only_if_the_unit_commits(store: Store) -> None:
    with store.unit() as uow:
        assert uow.quotes.put(make_quote(time=at(1))) is True
    assert store.quotes.get("AAPL") is None
    with store.unit() as uow:
        uow.quotes.put(make_quote(time=at(1), bid="101", ask="102"))
        uow.commit()
    assert store.quotes.get("AAPL").bid == 101


def test_a_quote_no_newer_than_the_stored_one_refuses_the_unit_it_is_in(store: Store) -> None:
    """The quote guards what it caused: a redelivered quote keeps none of its unit's writes."""
    store.quotes.put(make_quote(time=at(5), bid="100", ask="101"))
    for time in (at(5), at(4)):
        refused = False
        try:
            with store.unit() as uow:
                kept = uow.quotes.put(make_quote(time=time, bid="1", ask="2"))
                if kept:  # DynamoDB decides at commit
                    uow.audit.append(make_audit(f"A{time.second}"))
                    uow.commit()
                refused = not kept
        except StaleQuote:
            refused = True
        assert refused
    assert store.quotes.get("AAPL").bid == 100
    assert store.audit.list_for_account("acct-1") == []


def test_quotes_put_together_each_keep_their_own_condition(store: Store) -> None:
    store.quotes.put(make_quote("AAPL", time=at(5), bid="100", ask="101"))
    kept, failed = store.quotes.put_many([
        make_quote("AAPL", time=at(4), bid="1", ask="2"), make_quote("MSFT", time=at(1)), make_quote("CL", time=at(1)),
    ])
    assert (kept, failed) == ({"MSFT", "CL"}, set())
    assert (store.quotes.get("AAPL").bid, store.quotes.get("CL").time) == (100, at(1))
