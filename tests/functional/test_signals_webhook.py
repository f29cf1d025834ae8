"""POST /webhooks/signals/{source} fed API Gateway HTTP API v2 events: signed or passphrase requests are
answered 202 and published to the events stream (Kinesis under moto); bad signatures, stale timestamps,
replays and unknown sources answer 401/403/409 and store nothing. The published event then reaches the
Kinesis consumer, which tells the trader or stages a ticket, and never executes."""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from core import usecases as uc
from core.market import Quote
from core.orders import OrderStatus
from core.signals import SignalMode, signature
from tests.functional.streams_support import call, fake_aws, load, on_clock, sample, seed
from tests.support import Clock

STREAM = "parley-events"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    fake_aws(monkeypatch)
    with mock_aws():
        kinesis = boto3.client("kinesis")
        kinesis.create_stream(StreamName=STREAM, ShardCount=1)
        url = f"sqlite:///{tmp_path / 'parley.db'}"
        webhook = load(monkeypatch, "functions.webhooks.signals", url, PARLEY_EVENTS_STREAM=STREAM)
        consumer = load(monkeypatch, "functions.streams.kinesis", url, PARLEY_EVENTS_STREAM=STREAM)
        seed(webhook.platform)
        yield {"webhook": webhook, "consumer": consumer, "kinesis": kinesis}
        webhook.platform.store.close()
        consumer.consumer.platform.store.close()


def request(source: str, body: dict, header: str | None = None, *, base64_body: bool = False) -> dict:
    event = copy.deepcopy(sample("apigw-signal.json"))
    raw = json.dumps(body)
    event["pathParameters"] = {"source": source}
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/webhooks/signals/{source}"
    event["body"] = base64.b64encode(raw.encode()).decode() if base64_body else raw
    event["isBase64Encoded"] = base64_body
    event["headers"]["content-length"] = str(len(raw.encode()))
    if header is not None:
        event["headers"]["x-parley-signature"] = header
    return event


def signed(secret: str, body: dict, at: int | None = None) -> str:
    sent = int(time.time()) if at is None else at
    return f"t={sent},v1={signature(secret, sent, json.dumps(body).encode())}"


def published(kinesis) -> list[dict]:
    shard = kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]


def answer(response: dict) -> tuple[int, dict]:
    return response["statusCode"], json.loads(response["body"])


def test_a_signed_signal_is_accepted_at_once_and_published_as_a_webhook_event(world) -> None:
    webhook = world["webhook"]
    source = uc.register_signal_source(webhook.platform.deps, "alice", "risk engine", SignalMode.NOTIFY)
    body = {"text": "sell 5 AAPL @ 200"}
    status, payload = answer(call(webhook, request(source.id, body, signed(source.secret, body))))
    assert (status, payload["status"]) == (202, "accepted")
    [record] = published(world["kinesis"])
    envelope = json.loads(record["Data"])
    assert (envelope["id"], envelope["type"], envelope["source"]) == (payload["id"], "webhook.event",
                                                                      f"signals/{source.id}")
    assert envelope["data"] == {"source_id": source.id, "body": body}
    assert record["PartitionKey"] == f"signals/{source.id}"


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("bad signature", 401, "bad_signature"),
        ("malformed header", 401, "bad_signature"),
        ("wrong passphrase", 401, "bad_signature"),
        ("no proof", 401, "bad_signature"),
        ("expired timestamp", 403, "signature_expired"),
        ("unknown source", 401, "bad_signature"),
        ("future timestamp", 403, "signature_expired"),
    ],
)
def test_a_request_that_does_not_prove_itself_is_refused_and_nothing_is_stored(world, case, status, code) -> None:
    webhook = world["webhook"]
    source = uc.register_signal_source(webhook.platform.deps, "alice", "tv", SignalMode.STAGE)
    body = {"text": "buy 1 AAPL"}
    event = {
        "bad signature": request(source.id, body, signed("not-the-secret", body)),
        "malformed header": request(source.id, body, "v1=abc"),
        "wrong passphrase": request(source.id, body | {"passphrase": "guess"}),
        "no proof": request(source.id, body),
        "expired timestamp": request(source.id, body, signed(source.secret, body, int(time.time()) - 301)),
        "unknown source": request("NOSUCHSOURCE", body, signed(source.secret, body)),
        "future timestamp": request(source.id, body, signed(source.secret, body, int(time.time()) + 3600)),
    }[case]
    got_status, payload = answer(call(webhook, event))
    assert (got_status, payload["error"]["code"]) == (status, code)
    assert published(world["kinesis"]) == []


def test_an_unknown_source_is_answered_exactly_like_a_bad_signature_so_ids_cannot_be_probed(world) -> None:
    webhook = world["webhook"]
    source = uc.register_signal_source(webhook.platform.deps, "alice", "tv", SignalMode.STAGE)
    body = {"text": "buy 1 AAPL"}
    for proof in (signed("a-guess", body), None):
        sent = body if proof else body | {"passphrase": "a-guess"}
        known = call(webhook, request(source.id, sent, proof))
        unknown = call(webhook, request("NOSUCHSOURCE", sent, proof))
        assert (unknown["statusCode"], unknown["body"]) == (known["statusCode"], known["body"])
    stale = signed("a-guess", body, int(time.time()) - 3600)
    assert answer(call(webhook, request("NOSUCHSOURCE", body, stale))) == answer(
        call(webhook, request(source.id, body, stale)))


def test_a_replayed_signal_is_refused_with_409(world) -> None:
    webhook = world["webhook"]
    source = uc.register_signal_source(webhook.platform.deps, "alice", "tv", SignalMode.NOTIFY)
    body = {"text": "buy 1 AAPL", "passphrase": source.secret}
    assert call(webhook, request(source.id, body))["statusCode"] == 202
    assert answer(call(webhook, request(source.id, body, base64_body=True))) == (
        409, {"error": {"code": "signal_replayed", "message": "This signal was already received."}})
    reserialised = request(source.id, body)
    reserialised["body"] = json.dumps(dict(reversed(body.items())), indent=1)
    assert call(webhook, reserialised)["statusCode"] == 409
    signed_body = {"text": "buy 2 AAPL"}
    header = signed(source.secret, signed_body)
    assert call(webhook, request(source.id, signed_body, header))["statusCode"] == 202
    assert call(webhook, request(source.id, signed_body, header))["statusCode"] == 409
    assert len(published(world["kinesis"])) == 2


def consume(world, clock: Clock) -> None:
    """Hand what the webhook published to the Kinesis consumer, as Kinesis would."""
    consumer = world["consumer"]
    consumer.consumer.platform = on_clock(consumer.consumer.platform, clock)
    records = published(world["kinesis"])
    event = copy.deepcopy(sample("kinesis-quotes.json"))
    template = event["Records"][0]
    event["Records"] = [
        copy.deepcopy(template) | {"kinesis": template["kinesis"] | {
            "data": base64.b64encode(r["Data"]).decode(), "sequenceNumber": r["SequenceNumber"],
            "partitionKey": r["PartitionKey"]}}
        for r in records
    ]
    assert call(consumer, event) == {"batchItemFailures": []}


def test_a_stage_signal_becomes_a_ticket_the_trader_confirms_never_an_execution(world) -> None:
    webhook = world["webhook"]
    deps = webhook.platform.deps
    clock = Clock()
    clock.now = datetime.now(UTC)  # the webhook's own platform runs on the real clock
    uc.on_quote(deps, Quote(symbol="AAPL", bid=D("189.98"), ask=D("190.02"), time=clock.now))
    source = uc.register_signal_source(deps, "alice", "TradingView", SignalMode.STAGE)
    body = {"text": "buy 10 AAPL @ 190", "passphrase": source.secret}
    assert call(webhook, request(source.id, body))["statusCode"] == 202
    consume(world, clock)
    consume(world, clock)  # delivered twice: one ticket, one notification

    [note] = uc.list_notifications(deps, "alice")
    [ticket] = uc.pending_confirmations(deps, "alice")
    assert ticket.status is OrderStatus.PENDING_CONFIRMATION and ticket.source == "signal"
    assert note.text.startswith("Signal from TradingView: buy 10 AAPL @ 190. Reply YES ")
    assert note.data["code"] == ticket.confirmation_code
    assert deps.store.fills.list_for_account("alice") == []


def test_a_notify_signal_tells_the_trader_and_a_bad_order_says_why(world) -> None:
    webhook = world["webhook"]
    deps = webhook.platform.deps
    notify_source = uc.register_signal_source(deps, "alice", "risk engine", SignalMode.NOTIFY)
    stage_source = uc.register_signal_source(deps, "alice", "tv", SignalMode.STAGE)
    for source, text in ((notify_source, "VaR above 80% of limit"), (stage_source, "buy lots of stuff")):
        body = {"text": text, "passphrase": source.secret}
        assert call(webhook, request(source.id, body))["statusCode"] == 202
    consume(world, Clock())
    texts = sorted(n.text for n in uc.list_notifications(deps, "alice"))
    assert texts[0] == "Signal from risk engine: VaR above 80% of limit"
    assert texts[1].startswith("Signal from tv: buy lots of stuff. Not staged: ")
    assert deps.store.orders.list_for_account("alice") == []


def test_a_signal_with_order_fields_stages_that_order(world) -> None:
    webhook = world["webhook"]
    deps = webhook.platform.deps
    clock = Clock()
    clock.now = datetime.now(UTC)
    uc.on_quote(deps, Quote(symbol="BTC-USD", bid=D("60000"), ask=D("60001"), time=clock.now))
    source = uc.register_signal_source(deps, "alice", "risk engine", SignalMode.STAGE)
    fields = {"symbol": "BTC-USD", "side": "buy", "quantity": "0.01", "order_type": "limit", "limit_price": "59000"}
    signed_body = dict(fields)
    assert call(webhook, request(source.id, signed_body, signed(source.secret, signed_body)))["statusCode"] == 202
    consume(world, clock)
    [ticket] = uc.pending_confirmations(deps, "alice")
    assert (ticket.symbol, ticket.side.value, ticket.quantity, ticket.limit_price) == (
        "BTC-USD", "buy", D("0.01"), D("59000"))
    [note] = uc.list_notifications(deps, "alice")
    assert f"Reply YES {ticket.confirmation_code}" in note.text
