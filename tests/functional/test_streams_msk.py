"""The MSK consumer fed the events Lambda's Kafka event source sends: records keyed by topic-partition, base64
keys and values, headers; failures reported by partition and offset."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from core import usecases as uc
from core.errors import StoreError
from core.notifications import NotificationKind
from tests.functional.streams_support import call, load, on_clock, sample, seed
from tests.support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def msk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock):
    module = load(monkeypatch, "functions.streams.msk", f"sqlite:///{tmp_path / 'parley.db'}")
    module.consumer.platform = on_clock(module.consumer.platform, clock)
    seed(module.consumer.platform)
    clock.advance(seconds=2)
    yield module
    module.consumer.platform.store.close()


def test_an_msk_batch_across_topics_updates_quotes_and_tells_the_admins(msk) -> None:
    assert call(msk, sample("msk-quotes.json")) == {"batchItemFailures": []}
    report = msk.consumer.report
    assert (report.processed, dict(report.skipped)) == (6, {})
    deps = msk.consumer.platform.deps
    assert deps.store.quotes.get("AAPL").last == D("190.10")
    assert [n.kind for n in uc.list_notifications(deps, "ops")] == [NotificationKind.SYSTEM]


def test_msk_poison_is_counted_and_skipped(msk) -> None:
    assert call(msk, sample("msk-poison.json")) == {"batchItemFailures": []}
    assert dict(msk.consumer.report.skipped) == {"not_base64": 1, "not_json": 1, "not_envelope": 1,
                                                 "unknown_type": 1, "unknown_symbol": 1, "bad_data": 1}


def test_a_failure_is_reported_by_topic_partition_and_offset(msk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The system alert's unit cannot be stored; the quotes before it on their partition are kept."""
    store = msk.consumer.platform.store
    real_unit = store.unit

    def unit():
        opened = real_unit()
        append = opened.audit.append

        def failing(record):
            if record.kind.value == "system.alert":
                raise StoreError("database is unavailable")
            return append(record)

        opened.audit.append = failing
        return opened

    monkeypatch.setattr(store, "unit", unit)
    assert call(msk, sample("msk-quotes.json")) == {
        "batchItemFailures": [{"itemIdentifier": {"partition": "system-alerts-0", "offset": 105}}]
    }
    assert store.quotes.get("CL").last == D("70.12")


def _without_values(event: dict, *offsets: int, null: bool = False) -> dict:
    """The event with the records at ``offsets`` made tombstones: Lambda leaves ``value`` out (or null)."""
    for records in event["records"].values():
        for record in records:
            if record["offset"] in offsets:
                if null:
                    record["value"] = None
                else:
                    del record["value"]
    return event


@pytest.mark.parametrize("null", [False, True], ids=["value-absent", "value-null"])
def test_a_kafka_record_without_a_value_is_skipped_and_counted_not_failed(msk, null: bool) -> None:
    """A tombstone (compaction's delete marker) carries no envelope: it must not block its partition."""
    event = sample("msk-quotes.json")
    first = event["records"]["market-data-0"][0]["offset"]
    assert call(msk, _without_values(event, first, null=null)) == {"batchItemFailures": []}
    report = msk.consumer.report
    assert (report.processed, dict(report.skipped)) == (5, {"no_value": 1})
