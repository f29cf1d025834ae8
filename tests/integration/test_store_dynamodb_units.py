"""What the DynamoDB adapter promises about round trips (under moto): a unit's writes go out at commit in one
call, the refused write of a cancelled transaction raises its own error, quotes and settings come in one
batch read, and a question and its answer are appended in one transaction.

Calls are counted on the client's event system ("before-call"), so every request the adapter makes shows,
whichever method made it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.accounts import SystemSettings, TradingState
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, StoreError
from core.orders import OrderStatus
from infra.stores.dynamodb import DynamoStore, open_dynamodb_store
from tests.integration.test_store_records import (
    HOUR,
    T0,
    TABLE,
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
    make_turn,
)


@pytest.fixture
def calls(dynamodb_client: Any) -> list[str]:
    """The names of the DynamoDB operations the client sends from now on, in order."""
    sent: list[str] = []

    def count(model: Any, **_: Any) -> None:  # returning None lets the call go ahead
        sent.append(model.name)

    dynamodb_client.meta.events.register("before-call.dynamodb.*", count)
    return sent


@pytest.fixture
def dynamo(dynamodb_client: Any) -> DynamoStore:
    return open_dynamodb_store(TABLE, dynamodb_client)


def test_a_unit_of_many_writes_sends_nothing_before_commit_and_one_call_at_it(
    dynamo: DynamoStore, calls: list[str]
) -> None:
    account = dynamo.accounts.add(make_account())
    dynamo.alerts.add(make_alert())
    calls.clear()
    with dynamo.unit() as uow:
        order = uow.orders.add(make_order())
        order.record_fill(Decimal("10"), Decimal("100"), at(1))
        uow.orders.update(order)
        uow.fills.add(make_fill())
        uow.positions.save(make_position(quantity=Decimal("10")))
        uow.audit.append(make_audit())
        uow.accounts.update(account)
        uow.settings.save(SystemSettings(trading_state=TradingState.HALTED))
        uow.alerts.delete("AL1")
        assert calls == []
        uow.commit()
    assert calls == ["TransactWriteItems"]
    assert dynamo.orders.get("O1").status is OrderStatus.FILLED
    assert dynamo.accounts.get("acct-1").version == 2
    with pytest.raises(NotFound):
        dynamo.alerts.get("AL1")


def test_a_unit_with_one_write_sends_one_conditional_write(dynamo: DynamoStore, calls: list[str]) -> None:
    dynamo.alerts.add(make_alert())
    calls.clear()
    with dynamo.unit() as uow:
        uow.orders.add(make_order())
        uow.commit()
    with dynamo.unit() as uow:
        uow.alerts.delete("AL1")
        uow.commit()
    with dynamo.unit() as uow:
        uow.commit()
    with dynamo.unit() as uow:
        uow.orders.add(make_order("O2"))
    assert calls == ["PutItem", "DeleteItem"]


def test_an_add_then_updates_of_one_order_go_out_as_one_conditional_create(dynamodb_client: Any) -> None:
    sent: list[dict[str, Any]] = []
    dynamodb_client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", lambda params, **_: sent.append(params)
    )
    dynamo = open_dynamodb_store(TABLE, dynamodb_client)
    with dynamo.unit() as uow:
        order = uow.orders.add(make_order(status=OrderStatus.NEW))
        order.transition(OrderStatus.ACCEPTED, at(1))
        order = uow.orders.update(order)
        order.transition(OrderStatus.CANCELLED, at(2))
        uow.orders.update(order)
        uow.audit.append(make_audit())
        uow.commit()
    [request] = sent
    puts = [action["Put"] for action in request["TransactItems"]]
    assert [put["Item"]["PK"]["S"] for put in puts] == ["ORDER#O1", "AUDIT#A1"]
    assert puts[0]["ConditionExpression"] == "attribute_not_exists(PK)"
    assert puts[0]["Item"]["version"] == {"N": "3"}
    assert "GSI2PK" not in puts[0]["Item"]
    assert dynamo.orders.get("O1").status is OrderStatus.CANCELLED
    assert dynamo.orders.list_open_for_symbol("AAPL") == []


@pytest.mark.parametrize(
    ("taken", "error", "details"),
    [
        ("audit", AlreadyExists, {"record_id": "A1"}),
        ("fill", AlreadyExists, {"fill_id": "F1"}),
        ("alert", NotFound, {"alert_id": "AL9"}),
        ("account", ConcurrentUpdate, {"expected": 1, "missing": False}),
        ("position", ConcurrentUpdate, {"expected": 0, "missing": False}),
    ],
)
def test_a_cancelled_transaction_raises_the_error_of_the_write_that_was_refused(
    dynamo: DynamoStore, taken: str, error: type[Exception], details: dict[str, Any]
) -> None:
    account = dynamo.accounts.add(make_account())
    dynamo.alerts.add(make_alert("AL9"))
    if taken == "audit":
        dynamo.audit.append(make_audit())
    if taken == "fill":
        dynamo.fills.add(make_fill())
    if taken == "alert":
        dynamo.alerts.delete("AL9")
    if taken == "account":
        dynamo.accounts.update(account)
    if taken == "position":
        dynamo.positions.save(make_position())
    with pytest.raises(error) as raised, dynamo.unit() as uow:
        uow.orders.add(make_order())
        uow.audit.append(make_audit())
        uow.fills.add(make_fill())
        uow.positions.save(make_position(quantity=Decimal("1")))
        uow.accounts.update(account)
        uow.alerts.delete("AL9")
        uow.commit()
    assert raised.value.details == details
    with pytest.raises(NotFound):
        dynamo.orders.get("O1")


def test_a_unit_of_up_to_100_writes_commits_in_one_call(dynamo: DynamoStore, calls: list[str]) -> None:
    with dynamo.unit() as uow:
        for n in range(100):
            uow.orders.add(make_order(f"O{n:03d}", created_at=at(n)))
        uow.commit()
    assert calls == ["TransactWriteItems"]
    assert len(dynamo.orders.list_for_account("acct-1")) == 100


def test_a_unit_of_more_than_100_writes_raises_store_error_and_writes_nothing(
    dynamo: DynamoStore, calls: list[str]
) -> None:
    with pytest.raises(StoreError, match="at most 100"), dynamo.unit() as uow:
        for n in range(101):
            uow.fills.add(make_fill(f"F{n:03d}", time=at(n)))
        uow.commit()
    assert calls == []
    assert dynamo.fills.list_for_account("acct-1") == []


def test_a_write_through_a_finished_unit_is_refused(dynamo: DynamoStore) -> None:
    with dynamo.unit() as uow:
        uow.commit()
    with pytest.raises(RuntimeError):
        uow.accounts.add(make_account())


def test_prices_and_settings_cost_one_call_on_the_store_and_in_a_unit(dynamo: DynamoStore, calls: list[str]) -> None:
    dynamo.quotes.put(make_quote("AAPL"))
    dynamo.quotes.put_close(make_close("MSFT"))
    quote = dynamo.quotes.get("AAPL")
    saved = dynamo.settings.save(SystemSettings(trading_state=TradingState.HALTED))
    calls.clear()
    assert dynamo.prices_and_settings(["AAPL", "MSFT"]) == ({"AAPL": quote}, {"MSFT": make_close("MSFT")}, saved)
    assert calls == ["BatchGetItem"]
    calls.clear()
    with dynamo.unit() as uow:
        quotes, closes, settings = uow.prices_and_settings(["AAPL", "MSFT"])
        assert (sorted(quotes), sorted(closes), settings) == (["AAPL"], ["MSFT"], saved)
        assert calls == ["BatchGetItem"]
        uow.settings.save(settings)
        calls.clear()
        assert uow.prices_and_settings(["AAPL"])[2].version == 2  # the unit's own settings, from memory
        assert calls == ["BatchGetItem"]


class _Throttled:
    """A client whose first BatchGetItem hands back every key but one as unprocessed, as throttling does."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.batches = 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.batches += 1
        if self.batches > 1:
            return self._client.batch_get_item(RequestItems=RequestItems)
        request = RequestItems[TABLE]
        first, rest = request["Keys"][:1], request["Keys"][1:]
        response = self._client.batch_get_item(RequestItems={TABLE: request | {"Keys": first}})
        return response | {"UnprocessedKeys": {TABLE: request | {"Keys": rest}}}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_prices_and_settings_ask_again_for_unprocessed_keys(dynamodb_client: Any) -> None:
    client = _Throttled(dynamodb_client)
    dynamo = open_dynamodb_store(TABLE, client)
    for symbol in ("AAPL", "MSFT", "TSLA"):
        dynamo.quotes.put(make_quote(symbol))
    saved = dynamo.settings.save(SystemSettings(trading_state=TradingState.HALTED))
    quotes, _, settings = dynamo.prices_and_settings(["AAPL", "MSFT", "TSLA"])
    assert (sorted(quotes), settings, client.batches) == (["AAPL", "MSFT", "TSLA"], saved, 2)


def test_appending_a_question_and_its_answer_costs_one_call(dynamo: DynamoStore, calls: list[str]) -> None:
    dynamo.conversations.append_many([make_turn("q", time=at(0)), make_turn("a", time=at(1))])
    assert calls == ["TransactWriteItems"]
    assert ids(dynamo.conversations.recent("acct-1", "telegram:12345", limit=5, now=at(2))) == ["q", "a"]


def test_append_many_stores_the_other_turns_when_one_id_is_taken(dynamo: DynamoStore, calls: list[str]) -> None:
    dynamo.conversations.append(make_turn("t1", time=at(0), text="first"))
    calls.clear()
    turns = [make_turn("t1", time=at(5), text="retried"), make_turn("t2", time=at(6)), make_turn("t3", time=at(7))]
    dynamo.conversations.append_many(turns)
    assert calls == ["TransactWriteItems"] * 4  # refused whole, then one by one
    recent = dynamo.conversations.recent("acct-1", "telegram:12345", limit=5, now=at(8))
    assert [(turn.id, turn.text) for turn in recent] == [("t1", "first"), ("t2", "turn t2"), ("t3", "turn t3")]


def test_append_many_sends_fifty_turns_a_transaction(dynamo: DynamoStore, calls: list[str]) -> None:
    dynamo.conversations.append_many([make_turn(f"t{n:03d}", time=T0, ttl=HOUR) for n in range(120)])
    assert calls == ["TransactWriteItems"] * 3
    assert len(dynamo.conversations.recent("acct-1", "telegram:12345", limit=200, now=T0)) == 120


def test_a_unit_reads_a_position_once_and_knows_one_it_listed_is_absent(
    dynamo: DynamoStore, calls: list[str]
) -> None:
    dynamo.positions.save(make_position(symbol="AAPL"))
    calls.clear()
    with dynamo.unit() as uow:
        listed = uow.positions.list_for_account("acct-1")
        assert [p.symbol for p in listed] == ["AAPL"]
        assert uow.positions.get("acct-1", "AAPL") == listed[0]  # met in the query: not read again
        assert uow.positions.get("acct-1", "MSFT") is None  # inside the range read whole: known absent
    assert calls == ["Query"]


def test_a_position_remembered_by_a_unit_and_changed_meanwhile_fails_the_commit(dynamo: DynamoStore) -> None:
    dynamo.positions.save(make_position(symbol="AAPL"))
    with pytest.raises(ConcurrentUpdate), dynamo.unit() as uow:
        remembered = uow.positions.list_for_account("acct-1")[0]
        elsewhere = dynamo.positions.get("acct-1", "AAPL")
        dynamo.positions.save(elsewhere.model_copy(update={"quantity": Decimal(5)}))  # another writer
        uow.positions.save(remembered.model_copy(update={"quantity": Decimal(7)}))
        uow.commit()
    assert dynamo.positions.get("acct-1", "AAPL").quantity == Decimal(5)


def _logged_order_unit(dynamo: DynamoStore, order_id: str, account_id: str, symbol: str) -> Any:
    """An open unit that places an order and logs it, as ``execution.store`` does; the caller commits it."""
    uow = dynamo.unit()
    order = uow.orders.add(make_order(order_id, account_id=account_id, symbol=symbol))
    uow.orders.log_change(order, at(1))
    return uow


def _keys(action: dict[str, Any]) -> tuple[str, str]:
    (write,) = action.values()
    key = write.get("Key") or write["Item"]
    return key["PK"]["S"], key["SK"]["S"]


def test_logged_order_writes_on_different_symbols_touch_disjoint_items(dynamodb_client: Any) -> None:
    sent: list[dict[str, Any]] = []
    dynamodb_client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", lambda params, **_: sent.append(params)
    )
    dynamo = open_dynamodb_store(TABLE, dynamodb_client)
    for order_id, account_id, symbol in (("O1", "acct-1", "AAPL"), ("O2", "acct-2", "MSFT")):
        _logged_order_unit(dynamo, order_id, account_id, symbol).commit()
    first, second = ({_keys(action) for action in request["TransactItems"]} for request in sent)
    assert first & second == set()
    assert ("ORDER_CHANGES#AAPL", "#HEAD") in first and ("ORDER_CHANGES#MSFT", "#HEAD") in second


def test_concurrent_order_writes_on_different_symbols_both_commit_and_on_one_symbol_the_later_fails(
    dynamo: DynamoStore,
) -> None:
    apple = _logged_order_unit(dynamo, "O1", "acct-1", "AAPL")
    microsoft = _logged_order_unit(dynamo, "O2", "acct-2", "MSFT")
    apple_again = _logged_order_unit(dynamo, "O3", "acct-3", "AAPL")
    apple.commit()
    microsoft.commit()  # read its head before the first commit: a shared head would refuse it
    with pytest.raises(ConcurrentUpdate):
        apple_again.commit()  # two writers on one symbol still cannot take one number
    assert [(c.seq, c.order.id) for c in dynamo.orders.changes_since("AAPL", 0)] == [(1, "O1")]
    assert [(c.seq, c.order.id) for c in dynamo.orders.changes_since("MSFT", 0)] == [(1, "O2")]
