"""The local platform's stream side runs the AWS code path: replayed quotes become Kinesis events for the
consumer, signals posted to the local webhook are worked after the answer, notifications are relayed, and
`parley replay` pushes a file through the Kinesis or MSK handler and prints what it did."""

from __future__ import annotations

import base64
import io
import json
import time
from decimal import Decimal as D
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core import usecases as uc
from core.alerts import AlertCondition
from core.market import Quote
from core.signals import SignalMode
from infra.bootstrap import build_platform
from infra.settings import Settings
from local.streams import LocalStreams, mount_webhooks, relay_and_log, replay
from tests.support import Clock

EVENTS = Path(__file__).resolve().parents[2] / "local" / "events"


@pytest.fixture
def platform(clock: Clock):
    built = build_platform(Settings(store_url="memory://"), clock=clock, secret="s" * 40)
    uc.create_account(built.deps, "alice")
    return built


def test_a_replayed_quote_goes_through_the_kinesis_consumer(platform, clock) -> None:
    streams = LocalStreams(platform)
    alert = uc.set_alert(platform.deps, "alice", "AAPL", AlertCondition.ABOVE, D("190"))
    streams.feed_quote(Quote(symbol="AAPL", bid=D("190.00"), ask=D("190.02"), time=clock.now, source="replay"))
    assert streams.consumer.report.processed == 1 and streams.consumer.report.alerts_fired == 1
    assert uc.list_alerts(platform.deps, "alice")[0].id == alert.id
    assert relay_and_log(platform) == 1
    assert platform.store.notifications.list_unsent() == []


def test_a_signal_posted_locally_is_answered_first_and_worked_on_the_stream(platform) -> None:
    streams = LocalStreams(platform)
    streams.start()
    try:
        app = FastAPI()
        mount_webhooks(app, platform)
        source = uc.register_signal_source(platform.deps, "alice", "tv", SignalMode.NOTIFY)
        body = json.dumps({"text": "buy 1 AAPL", "passphrase": source.secret})
        answer = TestClient(app).post(f"/webhooks/signals/{source.id}", content=body)
        assert (answer.status_code, answer.json()["status"]) == (202, "accepted")
        deadline = time.monotonic() + 10
        while not uc.list_notifications(platform.deps, "alice") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [n.text for n in uc.list_notifications(platform.deps, "alice")] == ["Signal from tv: buy 1 AAPL"]
        assert TestClient(app).post(f"/webhooks/signals/{source.id}", content=body).status_code == 409
    finally:
        streams.stop()


def envelopes_of(sample: str, skip: int = 0) -> list[str]:
    """The record values of a sample Kinesis event, one a line, as `parley replay` reads a file."""
    event = json.loads((EVENTS / sample).read_text())
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"][skip:]]


@pytest.mark.parametrize("via", ["kinesis", "msk"])
def test_replay_pushes_a_file_through_a_handler_and_prints_the_counts(platform, tmp_path, via) -> None:
    lines = envelopes_of("kinesis-quotes.json") + envelopes_of("kinesis-poison.json", skip=1)
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    assert replay(platform, path, via=via, batch=4, out=out, progress=None) == 0
    assert out.getvalue().splitlines() == [
        f"records     11 (via {via}, 4 a batch)",
        "processed   5",  # the poison file's good quote is older than the AAPL quotes before it: stale
        "skipped     6 (bad_data 1, not_envelope 1, not_json 1, stale 1, unknown_symbol 1, unknown_type 1)",
        "failed      0",
        "alerts      0 fired",
        "orders      0 triggered",
        "notified    0",
    ]
    assert platform.store.quotes.get("CL").last == D("70.12")


def test_replay_shows_a_progress_bar_for_a_large_file(platform, tmp_path, clock) -> None:
    path = tmp_path / "big.jsonl"
    template = json.loads(envelopes_of("kinesis-quotes.json")[0])
    lines = [json.dumps(template | {"id": f"q{i}", "time": f"2026-11-27T15:{i // 60 % 60:02d}:{i % 60:02d}Z"})
             for i in range(1500)]
    path.write_text("\n".join(lines))
    progress = io.StringIO()
    replay(platform, path, out=io.StringIO(), progress=progress)
    assert progress.getvalue().rstrip("\n").endswith("] 1500/1500")
    assert progress.getvalue().count("\r") == 3  # 500 records a batch
