"""The Kinesis consumer fed the events Kinesis sends (local/events/): quotes move resting orders and fire alerts,
poison is counted and skipped, duplicates and redeliveries change nothing, and only the records a store failure
kept from their effect come back as batch item failures."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from core import usecases as uc
from core.alerts import AlertCondition
from core.market import Quote
from core.notifications import NotificationKind
from infra.stores.dynamodb import create_table
from tests.functional.aws_calls import counting_aws_calls
from tests.functional.streams_support import call, fake_aws, load, on_clock, sample, seed, sequence_numbers
from tests.support import Clock, order

NO_FAILURES = {"batchItemFailures": []}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kinesis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock):
    module = load(monkeypatch, "functions.streams.kinesis", f"sqlite:///{tmp_path / 'parley.db'}")
    module.consumer.platform = on_clock(module.consumer.platform, clock)
    seed(module.consumer.platform)
    yield module
    module.consumer.platform.store.close()


def notes(module, account: str) -> list[NotificationKind]:
    return [n.kind for n in uc.list_notifications(module.consumer.platform.deps, account)]


def test_a_kinesis_batch_fills_a_resting_order_and_fires_an_alert_crossed_mid_batch(kinesis, clock) -> None:
    deps = kinesis.consumer.platform.deps
    uc.on_quote(deps, Quote(symbol="AAPL", bid=D("190.40"), ask=D("190.44"), time=clock.now))
    resting = uc.place_order(deps, "alice", order("AAPL", "buy", "10", order_type="limit", limit_price="190.20"),
                             idempotency_key="rest")
    alert = uc.set_alert(deps, "alice", "AAPL", AlertCondition.ABOVE, D("190.45"))
    clock.advance(seconds=2)

    assert call(kinesis, sample("kinesis-quotes.json")) == NO_FAILURES

    report = kinesis.consumer.report
    assert (report.processed, dict(report.skipped), report.alerts_fired, report.orders_triggered) == (5, {}, 1, 1)
    assert uc.get_order(deps, "alice", resting.id).average_price == D("190.12")
    assert deps.store.quotes.get("AAPL").last == D("190.10")  # the latest; 190.50 came between
    assert deps.store.quotes.get("CL").last == D("70.12")
    fired = next(a for a in uc.list_alerts(deps, "alice") if a.id == alert.id)
    assert fired.triggered_price == D("190.50")
    assert sorted(notes(kinesis, "alice")) == sorted([NotificationKind.FILL, NotificationKind.ALERT])


def test_poison_records_are_counted_by_reason_and_never_fail_the_batch(kinesis, clock) -> None:
    clock.advance(seconds=2)
    assert call(kinesis, sample("kinesis-poison.json")) == NO_FAILURES
    report = kinesis.consumer.report
    assert dict(report.skipped) == {"not_base64": 1, "not_json": 1, "not_envelope": 1, "unknown_type": 1,
                                    "unknown_symbol": 1, "bad_data": 1}
    assert report.processed == 1
    assert kinesis.consumer.platform.store.quotes.get("AAPL").bid == D("189.98")


def test_a_record_delivered_twice_has_one_effect(kinesis, clock) -> None:
    clock.advance(seconds=2)
    assert call(kinesis, sample("kinesis-duplicates.json")) == NO_FAILURES
    assert dict(kinesis.consumer.report.skipped) == {"duplicate": 2}
    assert notes(kinesis, "ops") == [NotificationKind.SYSTEM]
    assert call(kinesis, sample("kinesis-duplicates.json")) == NO_FAILURES  # the whole batch again
    assert dict(kinesis.consumer.report.skipped) == {"duplicate": 3, "stale": 1}
    assert notes(kinesis, "ops") == [NotificationKind.SYSTEM]


def test_a_redelivered_batch_changes_nothing(kinesis, clock) -> None:
    deps = kinesis.consumer.platform.deps
    uc.set_alert(deps, "alice", "AAPL", AlertCondition.ABOVE, D("190.45"))
    clock.advance(seconds=2)
    call(kinesis, sample("kinesis-quotes.json"))
    uc.set_alert(deps, "alice", "AAPL", AlertCondition.ABOVE, D("190.45"))  # would fire on the same path
    assert call(kinesis, sample("kinesis-quotes.json")) == NO_FAILURES
    assert (kinesis.consumer.report.processed, dict(kinesis.consumer.report.skipped)) == (0, {"stale": 5})
    assert notes(kinesis, "alice") == [NotificationKind.ALERT]


@pytest.fixture
def dynamo_kinesis(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator:
    fake_aws(monkeypatch)
    with mock_aws():
        create_table(boto3.client("dynamodb"), "streams")
        module = load(monkeypatch, "functions.streams.kinesis", "dynamodb://streams")
        module.consumer.platform = on_clock(module.consumer.platform, clock)
        seed(module.consumer.platform)
        yield module


def test_a_store_failure_returns_only_that_symbols_records_and_the_retry_applies_them(dynamo_kinesis, clock) -> None:
    client = dynamo_kinesis.consumer.platform.store.table.client

    def unreachable(params, **_):
        if params.get("Item", {}).get("PK", {}).get("S") == "QUOTE#MSFT":
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    clock.advance(seconds=2)
    event = sample("kinesis-quotes.json")
    client.meta.events.register("before-parameter-build.dynamodb.PutItem", unreachable)
    try:
        assert call(dynamo_kinesis, event) == {"batchItemFailures": sequence_numbers(event, 1)}
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.PutItem", unreachable)
    assert dynamo_kinesis.consumer.platform.store.quotes.get("MSFT") is None
    assert call(dynamo_kinesis, event) == NO_FAILURES
    assert (dynamo_kinesis.consumer.report.processed, dict(dynamo_kinesis.consumer.report.skipped)) == (1, {"stale": 4})
    assert dynamo_kinesis.consumer.platform.store.quotes.get("MSFT").ask == D("415.20")


def test_a_warm_batch_on_dynamodb_costs_a_write_per_symbol_not_per_record(dynamo_kinesis, clock) -> None:
    clock.advance(seconds=2)
    call(dynamo_kinesis, sample("kinesis-poison.json"))  # warms the consumer on AAPL
    with counting_aws_calls() as calls:
        assert call(dynamo_kinesis, sample("kinesis-quotes.json")) == NO_FAILURES
    symbols, new = 3, 2  # five records: AAPL x3, MSFT, CL; MSFT and CL not seen before
    assert calls["PutItem"] + calls["TransactWriteItems"] == symbols, dict(calls)
    # the alert change log once; per symbol its write and its order change log; and the first time a symbol is
    # seen, its order log's head, its working orders and its alerts
    assert sum(calls.values()) <= 1 + symbols * 2 + new * 3, dict(calls)
