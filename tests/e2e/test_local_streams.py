"""The stream side of the local platform for real: `parley serve` replays its feed through the Kinesis handler
(an alert set on the API fires and is told), its signals webhook answers at once and works after, and
`parley replay` pushes a file through a handler and prints what it did."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.platform_support import HTTP, SECRET, Cli, Server, call, platform_env, start_server

EVENTS = Path(__file__).resolve().parents[2] / "local" / "events"
WAIT = 20


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    yield from start_server(tmp_path, SECRET)


def notifications(server: Server, token: str, kind: str) -> list[dict]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        status, body = call("GET", f"{server.base}/v1/notifications", token=token)
        assert status == 200, body
        found = [n for n in body["notifications"] if n["kind"] == kind]
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"no {kind} notification within {WAIT} s\n{server.logs()}")


def test_an_alert_set_on_the_api_fires_on_the_replayed_feed(server) -> None:
    token = server.cli.token("demo")
    status, quote = call("GET", f"{server.base}/v1/quotes/CL", token=token)
    assert status == 200, quote
    threshold = str((Decimal(quote["mid"]) / 2).quantize(Decimal("0.01")))  # crossed by the next quote
    status, alert = call("POST", f"{server.base}/v1/alerts", token=token,
                         body={"symbol": "CL", "condition": "above", "threshold": threshold})
    assert status == 201, alert
    [fired] = notifications(server, token, "alert.triggered")
    assert fired["data"]["alert_id"] == alert["id"]
    status, listed = call("GET", f"{server.base}/v1/alerts", token=token)
    assert [a["status"] for a in listed["alerts"]] == ["triggered"]


def test_a_signal_posted_to_the_local_webhook_is_accepted_and_told(server) -> None:
    token = server.cli.token("demo")
    status, source = call("POST", f"{server.base}/v1/signal-sources", token=token,
                          body={"name": "TradingView", "mode": "notify"})
    assert status == 201, source
    body = json.dumps({"text": "CL breakout", "passphrase": source["secret"]}).encode()
    request = urllib.request.Request(f"{server.base}{source['webhook_path']}", data=body, method="POST",
                                     headers={"Content-Type": "text/plain"})
    with HTTP.open(request, timeout=10) as answer:
        assert (answer.status, json.loads(answer.read())["status"]) == (202, "accepted")
    [told] = notifications(server, token, "signal")
    assert told["text"] == "Signal from TradingView: CL breakout"


def test_parley_replay_pushes_a_file_through_the_msk_handler(tmp_path) -> None:
    cli = Cli(tmp_path, platform_env(tmp_path, SECRET))
    event = json.loads((EVENTS / "kinesis-quotes.json").read_text())
    lines = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    (tmp_path / "quotes.jsonl").write_text("\n".join([*lines, "not json"]) + "\n")
    run = cli("replay", "quotes.jsonl", "--via", "msk")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:4] == [
        "records     6 (via msk, 500 a batch)",
        "processed   5",
        "skipped     1 (not_json 1)",
        "failed      0",
    ]
