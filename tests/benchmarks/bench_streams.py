"""Streams at stream speed (`make bench`):

- the Kinesis handler on a batch of 10,000 quote records across 500 symbols with 100,000 active alerts (and with
  1,000), in records per second against the decode-only floor (base64 + JSON parse of the same records) in the
  same run; goal: at least 40% of the floor, and 1,000 against 100,000 alerts less than 2x apart;
- the AWS calls the same batch makes on DynamoDB under moto (goal: about one item write per symbol plus one per
  effect, not one per record);
- the import time of each stream and webhook handler against `import boto3` in the same run (goal: at most
  1.5x), with no langchain, openai or fastapi loaded.

Times are CPU seconds of this process (time.process_time), the best of several rounds: the figures are about
the code, not about what else the machine runs meanwhile. The cyclic garbage collector is paused for the floor
as the handler pauses it for a batch, so the floor is not slowed by what the handler avoids.
"""

from __future__ import annotations

import ast
import base64
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
from cfnlint.decode import decode_str
from moto import mock_aws

from core.alerts import Alert, AlertCondition
from core.instruments import AssetClass, Instrument, InstrumentCatalog
from core.usecases import Deps
from infra.bootstrap import Platform
from infra.brokers.paper import PaperBroker
from infra.settings import Settings
from infra.stores import open_store
from infra.stores.dynamodb import create_table, open_dynamodb_store
from tests.functional.aws_calls import counting_aws_calls
from tests.functional.conftest import LambdaContext
from tests.functional.streams_support import call, fake_aws, load
from tests.infra.test_layers import (
    attached_layers,
    functions_of,
    layer_closure,
    populate_app,
    populate_site,
    runtime_settings,
)

RECORDS, SYMBOLS = 10_000, 500
GOAL_SHARE, GOAL_SPREAD, GOAL_IMPORT = 0.40, 2.0, 1.5
ROUNDS = 7
T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
SYMBOL_NAMES = [f"S{i:03d}" for i in range(SYMBOLS)]
CATALOG = InstrumentCatalog([
    Instrument(symbol=s, asset_class=AssetClass.CRYPTO, tick_size=Decimal("0.01"), lot_size=Decimal("0.001"),
               trades_24x7=True) for s in SYMBOL_NAMES
])


def batch(round_: int, rng: random.Random) -> dict:
    """10,000 market.quote records, 20 per symbol, priced within 1% of 100, newer than the round before."""
    records = []
    for i in range(RECORDS):
        symbol, price = SYMBOL_NAMES[i % SYMBOLS], 100 + rng.uniform(-1, 1)
        envelope = {
            "type": "market.quote", "id": f"r{round_}-{i}", "source": "bench", "v": 1,
            "time": (T0 + timedelta(seconds=round_ * 60 + i / 1000)).isoformat().replace("+00:00", "Z"),
            "data": {"symbol": symbol, "bid": f"{price:.2f}", "ask": f"{price + 0.02:.2f}", "last": None,
                     "bid_size": "100", "ask_size": "100"},
        }
        sequence = f"{round_:06d}{i:050d}"
        records.append({
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": symbol, "sequenceNumber": sequence,
                        "data": base64.b64encode(json.dumps(envelope).encode()).decode(),
                        "approximateArrivalTimestamp": 1795878001.0},
            "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"shardId-000000000000:{sequence}",
            "eventName": "aws:kinesis:record", "invokeIdentityArn": "arn:aws:iam::123456789012:role/parley",
            "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/parley",
        })
    return {"Records": records}


def add_alerts(store, count: int, rng: random.Random) -> None:
    """``count`` active alerts spread over the symbols, 5% to 50% away from the market (none crossed)."""
    with store.unit() as uow:
        for i in range(count):
            above = i % 2 == 0
            distance = Decimal(str(round(rng.uniform(5, 50), 2)))
            uow.alerts.add(Alert(
                id=f"AL{i:07d}", account_id="bench", symbol=SYMBOL_NAMES[i % SYMBOLS],
                condition=AlertCondition.ABOVE if above else AlertCondition.BELOW,
                threshold=100 + distance if above else 100 - distance, created_at=T0,
            ))
        uow.commit()


def kinesis_handler(monkeypatch, store):
    module = load(monkeypatch, "functions.streams.kinesis", "memory://")
    deps = Deps(store=store, broker=PaperBroker(instruments=CATALOG), catalog=CATALOG,
                clock=lambda: T0 + timedelta(hours=2))
    module.consumer.platform = Platform(settings=Settings(store_url="memory://"), deps=deps)
    return module


def cpu(action) -> float:
    start = time.process_time()
    action()
    return time.process_time() - start


def floor(event: dict) -> float:
    gc.disable()
    try:
        return cpu(lambda: [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"]])
    finally:
        gc.enable()


def throughput(monkeypatch, tmp_path: Path, alerts: int) -> tuple[float, float, float, dict]:
    """(floor records/s, handler records/s, median of the rounds' handler/floor shares, the last batch's counts),
    on SQLite with the engine warm. Each round times the floor before and after the handler and takes their
    mean, so neither side gains from running first."""
    rng = random.Random(alerts)
    store = open_store(f"sqlite:///{tmp_path / f'bench-{alerts}.db'}")
    add_alerts(store, alerts, rng)
    handler = kinesis_handler(monkeypatch, store)
    events = [batch(r, rng) for r in range(ROUNDS + 1)]
    assert call(handler, events[0]) == {"batchItemFailures": []}  # warms the index: every symbol loaded
    floors, handled, shares = [], [], []
    for event in events[1:]:
        before = floor(event)
        took = cpu(lambda e=event: handler.handler(e, LambdaContext()))
        paired = (before + floor(event)) / 2
        floors.append(paired)
        handled.append(took)
        shares.append(paired / took)
    report = handler.consumer.report
    counts = {"processed": report.processed, "failed": len(report.failed),
              "alerts": len(handler.consumer.platform.alert_engine.index)}
    store.close()
    return RECORDS / min(floors), RECORDS / min(handled), statistics.median(shares), counts


def test_kinesis_handler_records_per_second_against_the_decode_floor(monkeypatch, tmp_path, say) -> None:
    results = {}
    for alerts in (100_000, 1_000):
        floor_rate, rate, share, counts = throughput(monkeypatch, tmp_path, alerts)
        assert counts["processed"] == RECORDS and counts["failed"] == 0, counts
        assert counts["alerts"] == alerts, counts
        results[alerts] = share
        verdict = "meets" if share >= GOAL_SHARE else "BELOW"
        say(f"kinesis handler, {RECORDS:,} quotes / {SYMBOLS} symbols / {alerts:,} alerts (SQLite): best "
            f"{rate:,.0f} rec/s vs decode floor best {floor_rate:,.0f} rec/s; median share of the floor over "
            f"{ROUNDS} paired rounds {share:.0%} ({verdict} the {GOAL_SHARE:.0%} goal)")
    spread = max(results.values()) / min(results.values())  # shares: each against the floor of its own rounds
    say(f"kinesis handler, 1,000 vs 100,000 alerts: {spread:.2f}x apart ({'within' if spread < GOAL_SPREAD else 'OVER'}"
        f" the {GOAL_SPREAD:.0f}x goal)")


def test_the_batch_on_dynamodb_writes_about_one_item_per_symbol(monkeypatch, say) -> None:
    fake_aws(monkeypatch)
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, "bench")
        store = open_dynamodb_store("bench", client)
        rng = random.Random(3)
        add_alerts_in_units(store, 1_000, rng)
        handler = kinesis_handler(monkeypatch, store)
        assert call(handler, batch(0, rng)) == {"batchItemFailures": []}  # cold: loads each symbol's alerts
        event = batch(1, rng)
        with counting_aws_calls() as calls:
            assert call(handler, event) == {"batchItemFailures": []}
        writes = calls["PutItem"] + calls["TransactWriteItems"] + calls["BatchWriteItem"]
        say(f"kinesis batch on DynamoDB (moto), {RECORDS:,} quotes / {SYMBOLS} symbols / 1,000 alerts, warm: "
            f"{sum(calls.values())} AWS calls {dict(sorted(calls.items()))}: {writes / SYMBOLS:.2f} item writes per "
            f"symbol, {writes / RECORDS:.3f} per record; reads: one query of the alert change log, one of each "
            f"symbol's working orders")
        assert writes == SYMBOLS


def add_alerts_in_units(store, count: int, rng: random.Random) -> None:
    """DynamoDB takes at most 100 writes a transaction: the alerts go in units of 100."""
    for start in range(0, count, 100):
        chunk = random.Random(rng.random())
        with store.unit() as uow:
            for i in range(start, min(count, start + 100)):
                distance = Decimal(str(round(chunk.uniform(5, 50), 2)))
                uow.alerts.add(Alert(id=f"AL{i:07d}", account_id="bench", symbol=SYMBOL_NAMES[i % SYMBOLS],
                                     condition=AlertCondition.ABOVE, threshold=100 + distance, created_at=T0))
            uow.commit()


# --- Import time ---------------------------------------------------------------------------------------

WORKERS = ("functions.workers.outbox", "functions.workers.sweep")  # on the stream path too, measured alongside
HEAVY = ("langchain", "langchain_core", "langchain_openai", "openai", "fastapi")
RUNS = 7
PROBE = """
import json, sys, time
sys.path[:0] = [p for p in sys.argv[2:] if p]
sys.pycache_prefix, sys.dont_write_bytecode = sys.argv[1], False
start = time.perf_counter()
import {name}
took = time.perf_counter() - start
print(json.dumps({{"ms": took * 1000, "loaded": sorted({{m.split(".")[0] for m in sys.modules}})}}))
"""


def handler_modules() -> list[str]:
    """Every stream and webhook handler module: the files of functions/streams and functions/webhooks that define
    a top-level ``handler`` (helpers such as consumer.py or receive.py do not), so a new one is measured as soon
    as it lands; then the workers of WORKERS."""
    found = []
    for folder in ("streams", "webhooks"):
        for path in sorted((ROOT / "functions" / folder).glob("*.py")):
            if "handler" in _top_level_names(ast.parse(path.read_text())):
                found.append(f"functions.{folder}.{path.stem}")
    return [*found, *WORKERS]


def _top_level_names(tree: ast.Module) -> set[str]:
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


class Interpreters:
    """Where a module is imported: the development virtualenv, or (``deployed``) a bare interpreter (-I -S) with
    the app and exactly the layers template.yaml attaches to the module's function, as tests/infra's handler
    probe runs it; ``import boto3`` there gets the base layer (with what the Lambda runtime ships)."""

    def __init__(self, tmp_path: Path) -> None:
        decoded, problems = decode_str((ROOT / "template.yaml").read_text())
        assert not problems, problems
        self.tmp = tmp_path
        self.layers = {props["Handler"].rsplit(".", 1)[0]: attached_layers(decoded, name)
                       for name, props in functions_of(decoded).items() if "Handler" in props}
        self.app = tmp_path / "app"
        self.app.mkdir()
        populate_app(self.app)
        self._sites: dict[tuple[str, ...], Path] = {}

    def deployed(self, name: str) -> list[str] | None:
        """The command line that imports ``name`` as its function would, or None if no function runs it."""
        layers = ["base"] if name == "boto3" else self.layers.get(name)
        if layers is None:
            return None
        site = self._sites.get(tuple(layers))
        if site is None:
            site = self._sites[tuple(layers)] = self.tmp / "sites" / "+".join(layers)
            site.mkdir(parents=True)
            populate_site(layer_closure(layers), site)
        return [sys.executable, "-I", "-S", "-c", PROBE.format(name=name), str(self.tmp / "pycache-deployed"),
                str(self.app), str(site)]

    def dev(self, name: str) -> list[str]:
        return [sys.executable, "-c", PROBE.format(name=name), str(self.tmp / "pycache-dev")]


def import_ms(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, set[str]]:
    """Wall time of the probe's import in a fresh interpreter (ms), and the top-level packages it left loaded."""
    run = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, check=False)
    assert run.returncode == 0, (command[-3:], run.stderr[-3000:])
    answer = json.loads(run.stdout.splitlines()[-1])
    return answer["ms"], set(answer["loaded"])


def test_stream_and_webhook_handlers_import_time_against_boto3(tmp_path, say) -> None:
    """Each handler and ``import boto3`` in fresh interpreters, interleaved round by round so both sides see the
    same machine; the median of RUNS. Bytecode comes from a private cache filled by one untimed import of each
    first, so neither side pays for compiling (whatever PYTHONDONTWRITEBYTECODE says, however recently a source
    file changed)."""
    handlers = handler_modules()
    assert {"functions.streams.kinesis", "functions.streams.msk", "functions.webhooks.signals"} <= set(handlers)
    common = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "AWS_LAMBDA", "LAMBDA_"))}
    common.update(runtime_settings(decode_str((ROOT / "template.yaml").read_text())[0]))  # as deployed
    common.update(PYTHONPATH=str(ROOT), PARLEY_FEED="off", PARLEY_JWT_SECRET="bench", AWS_DEFAULT_REGION="us-east-1",
                  AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", HOME=str(tmp_path),
                  PARLEY_NOTIFY_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/parley-notify.fifo",
                  PARLEY_EVENTS_STREAM="parley-events")
    stores = {"SQLite store, as the API bench measures": f"sqlite:///{tmp_path / 'import.db'}",
              "DynamoDB store, as deployed (boto3 and its client load on the first AWS call, not at import)":
                  "dynamodb://parley"}
    where = Interpreters(tmp_path)
    commands = {
        "dev venv": {name: where.dev(name) for name in ("boto3", *handlers)},
        "each function's layers": {name: where.deployed(name) for name in ("boto3", *handlers)},
    }
    for place, by_name in commands.items():
        measured = {name: command for name, command in by_name.items() if command is not None}
        for label, url in stores.items():
            env = dict(common, PARLEY_STORE_URL=url)
            samples: dict[str, list[float]] = {name: [] for name in measured}
            for command in measured.values():  # fills the bytecode cache
                import_ms(command, env, tmp_path)
            for _ in range(RUNS):
                for name, command in measured.items():
                    took, loaded = import_ms(command, env, tmp_path)
                    samples[name].append(took)
                    assert not loaded & set(HEAVY), (name, loaded & set(HEAVY))
            baseline = statistics.median(samples.pop("boto3"))
            ratios = {name: statistics.median(taken) / baseline for name, taken in samples.items()}
            figures = ", ".join(f"{name.removeprefix('functions.')} {ratio:.2f}x" for name, ratio in ratios.items())
            unmeasured = sorted(set(handlers) - set(ratios))
            say(f"import time ({place}, {label}): boto3 {baseline:.0f} ms; {figures} "
                f"({'within' if max(ratios.values()) <= GOAL_IMPORT else 'OVER'} the {GOAL_IMPORT}x goal; median of "
                f"{RUNS}; no langchain, openai or fastapi loaded)"
                + (f"; no function in template.yaml yet: {', '.join(unmeasured)}" if unmeasured else ""))


@pytest.fixture(autouse=True)
def _quiet_metrics(monkeypatch) -> None:
    """The handlers print a log and a metrics line per call; the benchmark's own lines are what matter here."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
