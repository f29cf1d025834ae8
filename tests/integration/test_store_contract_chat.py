"""The alert and conversation contract of core/store/ports.py, run against SQLite and DynamoDB (moto) alike."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from core.alerts import Alert, AlertCondition, AlertStatus
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, StoreError
from core.memory import ChatTurn, Speaker
from core.ports.store import Store
from infra.stores.sqlite import open_sqlite_store

TABLE = "parley-test"  # the table the dynamodb_client fixture creates

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_alert(alert_id: str = "AL1", *, account_id: str = "acct-1", symbol: str = "AAPL", **fields: Any) -> Alert:
    values: dict[str, Any] = {"condition": AlertCondition.ABOVE, "threshold": Decimal("150"), "created_at": T0}
    return Alert(id=alert_id, account_id=account_id, symbol=symbol, **(values | fields))


def make_turn(
    turn_id: str = "t1",
    *,
    account_id: str = "acct-1",
    thread: str = "telegram:12345",
    time: datetime = T0,
    ttl: timedelta = HOUR,
    **fields: Any,
) -> ChatTurn:
    values: dict[str, Any] = {"speaker": Speaker.TRADER, "text": f"turn {turn_id}"} | fields
    return ChatTurn(id=turn_id, account_id=account_id, thread=thread, time=time, expires_at=time + ttl, **values)


def ids(records: list[Any]) -> list[str]:
    return [record.id for record in records]


def trigger(alert: Alert, price: str, when: datetime) -> Alert:
    return alert.model_copy(
        update={"status": AlertStatus.TRIGGERED, "triggered_at": when, "triggered_price": Decimal(price)}
    )


# Alerts


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


# Conversations


def test_recent_returns_the_last_turns_oldest_first(store: Store) -> None:
    for n in (3, 0, 4, 1, 2):
        store.conversations.append(make_turn(f"t{n}", time=at(n)))
    assert ids(store.conversations.recent("acct-1", "telegram:12345", limit=3, now=at(10))) == ["t2", "t3", "t4"]
    assert ids(store.conversations.recent("acct-1", "telegram:12345", limit=50, now=at(10))) == [
        "t0",
        "t1",
        "t2",
        "t3",
        "t4",
    ]
    assert store.conversations.recent("acct-1", "telegram:12345", limit=0, now=at(10)) == []


def test_a_turn_round_trips_with_its_text_and_aware_utc_times(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    said = datetime(2024, 3, 1, 14, 0, 0, 654321, tzinfo=paris)
    turn = make_turn(time=said, speaker=Speaker.PARLEY, text="Bought 10 AAPL @ 101.25 — “ok” #1 %23 ✓")
    store.conversations.append(turn)
    [got] = store.conversations.recent("acct-1", "telegram:12345", limit=5, now=said)
    assert got == turn
    for moment in (got.time, got.expires_at):
        assert moment.utcoffset() == timedelta(0)


def test_recent_leaves_out_turns_expired_at_or_before_now(store: Store) -> None:
    store.conversations.append(make_turn("old", time=at(0), ttl=timedelta(seconds=60)))
    store.conversations.append(make_turn("new", time=at(30), ttl=timedelta(seconds=60)))
    thread = ("acct-1", "telegram:12345")
    assert ids(store.conversations.recent(*thread, limit=5, now=at(59.999999))) == ["old", "new"]
    assert ids(store.conversations.recent(*thread, limit=5, now=at(60))) == ["new"]
    assert store.conversations.recent(*thread, limit=5, now=at(90)) == []


def test_recent_finds_live_turns_behind_newer_expired_ones(store: Store) -> None:
    for n in range(3):
        store.conversations.append(make_turn(f"kept{n}", time=at(n), ttl=HOUR))
    for n in range(3, 10):  # the newest turns expire first, so a page read newest-first holds none alive
        store.conversations.append(make_turn(f"gone{n}", time=at(n), ttl=timedelta(seconds=20)))
    assert ids(store.conversations.recent("acct-1", "telegram:12345", limit=2, now=at(60))) == ["kept1", "kept2"]


def test_appending_a_turn_id_again_writes_nothing_and_raises_nothing(store: Store) -> None:
    store.conversations.append(make_turn("t1", time=at(0), text="first"))
    store.conversations.append(make_turn("t1", time=at(0), text="same time"))
    store.conversations.append(make_turn("t1", time=at(5), text="retried later"))
    store.conversations.append(make_turn("t1", time=at(6), thread="sms:+15550100", text="elsewhere"))
    [turn] = store.conversations.recent("acct-1", "telegram:12345", limit=10, now=at(10))
    assert (turn.text, turn.time) == ("first", at(0))
    assert store.conversations.recent("acct-1", "sms:+15550100", limit=10, now=at(10)) == []


def test_threads_and_accounts_do_not_see_each_others_turns(store: Store) -> None:
    store.conversations.append(make_turn("a", thread="telegram:1"))
    store.conversations.append(make_turn("b", thread="whatsapp:1"))
    store.conversations.append(make_turn("c", account_id="acct-2", thread="telegram:1"))
    assert ids(store.conversations.recent("acct-1", "telegram:1", limit=10, now=T0)) == ["a"]
    assert ids(store.conversations.recent("acct-1", "whatsapp:1", limit=10, now=T0)) == ["b"]
    assert ids(store.conversations.recent("acct-2", "telegram:1", limit=10, now=T0)) == ["c"]
    assert store.conversations.recent("acct-2", "whatsapp:1", limit=10, now=T0) == []


def test_threads_with_hash_and_colon_in_their_names_stay_apart(store: Store) -> None:
    threads = ["telegram:1", "telegram:1#2", "telegram:1%232", "telegram", "1#2", "telegram:1#"]
    for n, thread in enumerate(threads):
        store.conversations.append(make_turn(f"t{n}", thread=thread))
    # Account ids cannot hold '#', but the store keeps them apart even if one did.
    store.conversations.append(make_turn("x", account_id="acct-1#telegram:1", thread="2"))
    for n, thread in enumerate(threads):
        assert ids(store.conversations.recent("acct-1", thread, limit=10, now=T0)) == [f"t{n}"]
    assert ids(store.conversations.recent("acct-1#telegram:1", "2", limit=10, now=T0)) == ["x"]
    assert store.conversations.recent("acct-1", "telegram:1#2#", limit=10, now=T0) == []


def test_turns_with_the_same_time_come_back_in_id_order(store: Store) -> None:
    for turn_id in ("b", "c", "a"):
        store.conversations.append(make_turn(turn_id, time=at(1)))
    assert ids(store.conversations.recent("acct-1", "telegram:12345", limit=2, now=at(1))) == ["b", "c"]


# SQLite only


def test_sqlite_append_drops_the_threads_expired_turns_from_the_file(sqlite_path: str) -> None:
    target = open_sqlite_store(sqlite_path)
    try:
        target.conversations.append(make_turn("old", time=at(0), ttl=timedelta(seconds=10)))
        target.conversations.append(make_turn("kept", time=at(0), ttl=HOUR))
        target.conversations.append(make_turn("elsewhere", time=at(0), thread="sms:1", ttl=timedelta(seconds=10)))
        target.conversations.append(make_turn("new", time=at(10), ttl=HOUR))
    finally:
        target.close()
    raw = sqlite3.connect(sqlite_path)
    try:
        stored = {turn_id for (turn_id,) in raw.execute("SELECT id FROM chat_turns")}
    finally:
        raw.close()
    assert stored == {"kept", "elsewhere", "new"}


# DynamoDB only


def _item(client: Any, pk: str, sk: str) -> dict[str, Any] | None:
    return client.get_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": sk}}).get("Item")


def test_dynamodb_alert_keeps_active_index_keys_only_while_active(dynamodb_client: Any) -> None:
    from infra.stores.dynamodb import open_dynamodb_store

    target = open_dynamodb_store(TABLE, dynamodb_client)
    alert = target.alerts.add(make_alert())
    item = _item(dynamodb_client, "ALERT#AL1", "ALERT")
    assert item is not None
    assert item["GSI2PK"] == {"S": "ACTIVE_ALERTS#AAPL"}
    assert item["GSI1PK"] == {"S": "ACCOUNT#acct-1#ALERTS"}
    target.alerts.update(trigger(alert, "150", at(1)))
    item = _item(dynamodb_client, "ALERT#AL1", "ALERT")
    assert item is not None
    assert "GSI2PK" not in item
    assert "GSI2SK" not in item


def test_dynamodb_turn_expiry_is_an_epoch_number_for_ttl(dynamodb_client: Any) -> None:
    from infra.stores.dynamodb import open_dynamodb_store

    open_dynamodb_store(TABLE, dynamodb_client).conversations.append(make_turn(thread="telegram:1#2"))
    found = dynamodb_client.query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "CONVERSATION#acct-1#telegram:1%232"}},
    )["Items"]
    assert [item["SK"]["S"] for item in found] == ["2024-03-01T12:00:00.000000Z#t1"]
    assert Decimal(found[0]["expires_at"]["N"]) == Decimal(int(T0.timestamp()) + 3600)
    marker = _item(dynamodb_client, "TURN#t1", "TURN")
    assert marker is not None
    assert marker["expires_at"] == found[0]["expires_at"]


class _SmallPages:
    """A client whose queries return two items a page, to exercise LastEvaluatedKey paging."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def query(self, **kwargs: Any) -> dict[str, Any]:
        return self._client.query(**kwargs | {"Limit": 2})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_dynamodb_alert_and_turn_queries_follow_every_page(dynamodb_client: Any) -> None:
    from infra.stores.dynamodb import open_dynamodb_store

    target = open_dynamodb_store(TABLE, _SmallPages(dynamodb_client))
    for n in range(5):
        target.alerts.add(make_alert(f"AL{n}", created_at=at(n)))
        target.conversations.append(make_turn(f"kept{n}", time=at(n), ttl=HOUR))
    for n in range(5, 12):
        target.conversations.append(make_turn(f"gone{n}", time=at(n), ttl=timedelta(seconds=1)))
    assert ids(target.alerts.list_for_account("acct-1")) == [f"AL{n}" for n in reversed(range(5))]
    assert ids(target.alerts.list_active_for_symbol("AAPL")) == [f"AL{n}" for n in range(5)]
    recent = target.conversations.recent("acct-1", "telegram:12345", limit=3, now=at(30))
    assert ids(recent) == ["kept2", "kept3", "kept4"]


def test_dynamodb_alert_and_turn_failures_become_store_errors_from_the_cause(dynamodb_client: Any) -> None:
    from botocore.exceptions import ClientError

    from infra.stores.dynamodb import open_dynamodb_store

    target = open_dynamodb_store("no-such-table", dynamodb_client)
    for attempt in (
        lambda: target.alerts.delete("AL1"),
        lambda: target.conversations.append(make_turn()),
        lambda: target.conversations.recent("acct-1", "telegram:1", limit=3, now=T0),
    ):
        with pytest.raises(StoreError) as raised:
            attempt()
        assert isinstance(raised.value.__cause__, ClientError)
