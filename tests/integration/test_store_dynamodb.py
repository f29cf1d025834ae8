"""What only the DynamoDB adapter promises (under moto): the table schema, index keys written only while a
record is open or active, TTL attributes as epoch numbers, queries that follow every page, and backend
failures translated into StoreError from their cause."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.errors import StoreError
from core.orders import OrderStatus
from infra.stores.dynamodb import open_dynamodb_store
from tests.integration.test_store_records import (
    HOUR,
    T0,
    TABLE,
    at,
    ids,
    make_account,
    make_alert,
    make_audit,
    make_fill,
    make_order,
    make_position,
    make_turn,
    trigger,
)


def test_create_table_builds_the_declared_schema_with_ttl(dynamodb_client: Any) -> None:
    table = dynamodb_client.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {("PK", "HASH"), ("SK", "RANGE")}
    assert {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]} == dict.fromkeys(
        ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"), "S"
    )
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["GSI1", "GSI2"]
    for name, index in indexes.items():
        keys = {(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]}
        assert keys == {(f"{name}PK", "HASH"), (f"{name}SK", "RANGE")}
        assert index["Projection"]["ProjectionType"] == "ALL"
    ttl = dynamodb_client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")


def _item(client: Any, pk: str, sk: str) -> dict[str, Any] | None:
    return client.get_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": sk}}).get("Item")


def test_dynamodb_order_keeps_open_index_keys_only_while_working(dynamodb_client: Any) -> None:
    target = open_dynamodb_store(TABLE, dynamodb_client)
    key = {"PK": {"S": "ORDER#O1"}, "SK": {"S": "ORDER"}}
    order = target.orders.add(make_order())
    assert dynamodb_client.get_item(TableName=TABLE, Key=key)["Item"]["GSI2PK"] == {"S": "OPEN#AAPL"}
    order.transition(OrderStatus.CANCELLED, at(1))
    target.orders.update(order)
    item = dynamodb_client.get_item(TableName=TABLE, Key=key)["Item"]
    assert "GSI2PK" not in item
    assert "GSI2SK" not in item


def test_dynamodb_alert_keeps_active_index_keys_only_while_active(dynamodb_client: Any) -> None:
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


def test_dynamodb_idempotency_expiry_is_an_epoch_number_for_ttl(dynamodb_client: Any) -> None:
    open_dynamodb_store(TABLE, dynamodb_client).idempotency.claim("k1", "fp", now=T0, ttl_seconds=90)
    key = {"PK": {"S": "IDEMPOTENCY#k1"}, "SK": {"S": "RECORD"}}
    item = dynamodb_client.get_item(TableName=TABLE, Key=key)["Item"]
    assert Decimal(item["expires_at"]["N"]) == Decimal(int(T0.timestamp()) + 90)


def test_dynamodb_turn_expiry_is_an_epoch_number_for_ttl(dynamodb_client: Any) -> None:
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


def test_dynamodb_queries_follow_every_page(dynamodb_client: Any) -> None:
    target = open_dynamodb_store(TABLE, _SmallPages(dynamodb_client))
    for n in range(5):
        target.accounts.add(make_account(f"a{n}"))
        target.orders.add(make_order(f"O{n}", created_at=at(n)))
        target.fills.add(make_fill(f"F{n}", time=at(n)))
        target.positions.save(make_position(f"S{n}"))
        target.audit.append(make_audit(f"A{n}", time=at(n)))
    assert sorted(ids(target.accounts.list())) == [f"a{n}" for n in range(5)]
    assert ids(target.orders.list_for_account("acct-1")) == [f"O{n}" for n in reversed(range(5))]
    assert ids(target.orders.list_for_account("acct-1", open_only=True, limit=3)) == ["O4", "O3", "O2"]
    assert ids(target.orders.list_open_for_symbol("AAPL")) == [f"O{n}" for n in range(5)]
    assert len(target.fills.list_for_account("acct-1")) == 5
    assert len(target.positions.list_for_account("acct-1")) == 5
    assert ids(target.audit.list_for_account("acct-1", limit=3)) == ["A0", "A1", "A2"]


def test_dynamodb_alert_and_turn_queries_follow_every_page(dynamodb_client: Any) -> None:
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


def test_dynamodb_failures_become_store_errors_from_the_cause(dynamodb_client: Any) -> None:
    from botocore.exceptions import ClientError

    target = open_dynamodb_store("no-such-table", dynamodb_client)
    with pytest.raises(StoreError) as raised:
        target.accounts.get("acct-1")
    assert isinstance(raised.value.__cause__, ClientError)


def test_dynamodb_alert_and_turn_failures_become_store_errors_from_the_cause(dynamodb_client: Any) -> None:
    from botocore.exceptions import ClientError

    target = open_dynamodb_store("no-such-table", dynamodb_client)
    for attempt in (
        lambda: target.alerts.delete("AL1"),
        lambda: target.conversations.append(make_turn()),
        lambda: target.conversations.recent("acct-1", "telegram:1", limit=3, now=T0),
    ):
        with pytest.raises(StoreError) as raised:
            attempt()
        assert isinstance(raised.value.__cause__, ClientError)


def test_a_page_of_orders_after_a_cursor_reads_that_page_from_dynamodb_not_the_history(dynamodb_client: Any) -> None:
    from tests.functional.aws_calls import counting_items_read

    store = open_dynamodb_store(TABLE, dynamodb_client)
    for n in range(40):
        store.orders.add(make_order(f"O{n:02d}", created_at=at(n)))
    with counting_items_read() as items:
        page = store.orders.list_for_account("acct-1", limit=6, before=(at(30), "O30"))
    assert ids(page) == [f"O{n:02d}" for n in range(29, 23, -1)]
    assert items["Query"] <= 6  # DynamoDB's Limit and a key condition after the cursor: one page read


def test_a_page_of_alerts_after_a_cursor_reads_that_page_from_dynamodb_not_every_alert(dynamodb_client: Any) -> None:
    from tests.functional.aws_calls import counting_items_read

    store = open_dynamodb_store(TABLE, dynamodb_client)
    for n in range(40):
        store.alerts.add(make_alert(f"AL{n:02d}", created_at=at(n)))
    with counting_items_read() as items:
        page = store.alerts.list_for_account("acct-1", limit=5, before=(at(20), "AL20"), cancelled=False)
    assert ids(page) == [f"AL{n:02d}" for n in range(19, 14, -1)]
    assert items["Query"] <= 5


def test_a_page_of_notifications_after_a_cursor_reads_that_page_from_dynamodb(dynamodb_client: Any) -> None:
    from tests.functional.aws_calls import counting_items_read
    from tests.integration.test_store_contract_outbox import make_notification

    store = open_dynamodb_store(TABLE, dynamodb_client)
    for n in range(40):
        store.notifications.add(make_notification(f"N{n:02d}", created=at(n)))
    with counting_items_read() as items:
        page = store.notifications.list_for_account("acct-1", limit=4, before=(at(10), "N10"))
    assert ids(page) == ["N09", "N08", "N07", "N06"]
    assert items["Query"] <= 4
