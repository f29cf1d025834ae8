"""Readable ids (random and derived) and the stream envelope every record carries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from core.envelope import Envelope, EventType
from core.ids import ALPHABET, derived_id, new_id

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


# -- ids ------------------------------------------------------------------------------------------


def test_the_alphabet_is_crockford_base32_without_letters_to_misread():
    assert set(ALPHABET) == CROCKFORD
    assert len(ALPHABET) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_new_ids_use_only_the_alphabet_at_the_asked_length():
    for length in (1, 10, 16, 24):
        for _ in range(200):
            value = new_id(length)
            assert len(value) == length
            assert set(value) <= CROCKFORD
    assert len(new_id()) == 10


def test_new_ids_do_not_repeat():
    assert len({new_id() for _ in range(5000)}) == 5000


def test_a_derived_id_is_the_same_for_the_same_parts_every_time():
    assert derived_id("acc-1", "key-1") == derived_id("acc-1", "key-1")
    assert len(derived_id("acc-1", "key-1", length=16)) == 16
    assert set(derived_id("acc-1", "key-1", length=40)) <= CROCKFORD


def test_a_derived_id_is_pinned_across_processes_and_releases():
    # A retried order is found again by this id, possibly by another process or a newer release.
    assert derived_id("acc-1", "key-1") == "M5EP140ES0"
    assert derived_id("acc-1", "key-1", length=16) == "M5EP140ES0WBNGP8"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("acc-1", "key-1"), ("acc-1", "key-2")),
        (("acc-1", "key-1"), ("acc-2", "key-1")),
        (("ab", "c"), ("a", "bc")),
        (("a", "b"), ("b", "a")),
        (("a",), ("a", "")),
    ],
)
def test_different_parts_give_different_derived_ids(first, second):
    assert derived_id(*first) != derived_id(*second)


def test_derived_ids_from_many_keys_do_not_collide():
    assert len({derived_id("acc-1", f"key-{n}") for n in range(5000)}) == 5000


# -- envelope -------------------------------------------------------------------------------------


def record(**overrides: object) -> dict:
    body = {
        "type": "market.quote",
        "id": "demo-AAPL-0000",
        "source": "replay",
        "time": "2025-01-06T14:30:00.000Z",
        "data": {"symbol": "AAPL", "bid": "230.15", "ask": "230.16"},
        "v": 1,
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize("event_type", list(EventType))
def test_every_known_type_decodes_to_its_event_type(event_type):
    envelope = Envelope.model_validate_json(json.dumps(record(type=event_type.value)))
    assert envelope.known_type is event_type
    assert envelope.type == event_type.value


def test_the_known_types_are_the_ones_of_the_design():
    assert {t.value for t in EventType} == {
        "market.quote", "market.trade", "order.update", "trade.fill", "system.alert", "compliance.event",
        "webhook.event",
    }


def test_an_unknown_type_decodes_with_no_known_type_so_it_can_be_skipped():
    envelope = Envelope.model_validate_json(json.dumps(record(type="market.depth")))
    assert envelope.type == "market.depth"
    assert envelope.known_type is None


def test_a_decoded_envelope_keeps_its_fields_and_an_aware_utc_time():
    envelope = Envelope.model_validate_json(json.dumps(record()))
    assert envelope.id == "demo-AAPL-0000"
    assert envelope.source == "replay"
    assert envelope.time == datetime(2025, 1, 6, 14, 30, tzinfo=UTC)
    assert envelope.time.utcoffset() == timedelta(0)
    assert envelope.data["bid"] == "230.15"
    assert envelope.v == 1


def test_an_offset_time_is_accepted_and_means_the_same_instant():
    envelope = Envelope.model_validate(record(time="2025-01-06T15:30:00+01:00"))
    assert envelope.time == datetime(2025, 1, 6, 14, 30, tzinfo=UTC)
    assert Envelope.model_validate(
        record(time=datetime(2025, 1, 6, 9, 30, tzinfo=timezone(timedelta(hours=-5))))
    ).time == datetime(2025, 1, 6, 14, 30, tzinfo=UTC)


def test_the_version_defaults_to_one():
    body = record()
    del body["v"]
    assert Envelope.model_validate(body).v == 1


@pytest.mark.parametrize("naive", ["2025-01-06T14:30:00", datetime(2025, 1, 6, 14, 30)])
def test_a_naive_time_is_refused(naive):
    with pytest.raises(ValidationError, match="timezone"):
        Envelope.model_validate(record(time=naive))


@pytest.mark.parametrize("missing", ["type", "id", "source", "time", "data"])
def test_an_envelope_missing_a_field_is_refused(missing):
    body = record()
    del body[missing]
    with pytest.raises(ValidationError, match=missing):
        Envelope.model_validate(body)


@pytest.mark.parametrize("empty", ["type", "id"])
def test_an_empty_type_or_dedup_id_is_refused(empty):
    with pytest.raises(ValidationError):
        Envelope.model_validate(record(**{empty: ""}))


def test_an_envelope_with_an_extra_field_or_non_object_data_is_refused():
    with pytest.raises(ValidationError):
        Envelope.model_validate(record(extra="x"))
    with pytest.raises(ValidationError):
        Envelope.model_validate(record(data=["not", "an", "object"]))


def test_an_envelope_survives_a_json_round_trip():
    envelope = Envelope.model_validate(record(type="trade.fill", data={"fill_id": "F1", "price": "70.25"}))
    assert Envelope.model_validate_json(envelope.model_dump_json()) == envelope
