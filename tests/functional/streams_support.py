"""Loading the stream, webhook and worker handlers as Lambda would (module import with the environment set),
with the sample events of local/events/ and a fixed clock for the platform they built."""

from __future__ import annotations

import base64
import copy
import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from core import usecases as uc
from core.accounts import Role
from core.envelope import Envelope
from infra.bootstrap import Platform, build_platform
from tests.functional.conftest import SECRET, LambdaContext
from tests.support import Clock

EVENTS = Path(__file__).resolve().parents[2] / "local" / "events"


def sample(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def load(monkeypatch: pytest.MonkeyPatch, module: str, store_url: str, **env: str) -> ModuleType:
    from infra import settings

    monkeypatch.setenv("PARLEY_STORE_URL", store_url)
    monkeypatch.setenv("PARLEY_FEED", "off")
    monkeypatch.setenv("PARLEY_JWT_SECRET", SECRET)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "parley")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ParleyTest")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.get_settings.cache_clear()
    return importlib.reload(importlib.import_module(module))


def fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and a region for moto, so boto3 never looks for real ones."""
    fake = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in fake.items():
        monkeypatch.setenv(name, value)


def on_clock(platform: Platform, clock: Clock) -> Platform:
    """The handler's platform with a settable clock (the sample events are dated 2026-11-27 15:00 UTC)."""
    fixed = build_platform(platform.settings, store=platform.store, clock=clock, secret=SECRET)
    fixed.notify_queue, fixed.events = platform.notify_queue, platform.events
    return fixed


def seed(platform: Platform) -> None:
    uc.create_account(platform.deps, "alice")
    uc.create_account(platform.deps, "ops", role=Role.ADMIN)


def call(module: ModuleType, event: dict) -> dict:
    return module.handler(copy.deepcopy(event), LambdaContext())


def kinesis_event(envelopes: list[Envelope], template: str = "kinesis-quotes.json") -> dict:
    """A Kinesis event holding ``envelopes``, shaped like the sample's first record."""
    event = sample(template)
    first = event["Records"][0]
    records = []
    for i, envelope in enumerate(envelopes):
        record = copy.deepcopy(first)
        seq = f"4960{i + 1:052d}"
        record["kinesis"] |= {"sequenceNumber": seq, "partitionKey": envelope.source,
                              "data": base64.b64encode(envelope.model_dump_json().encode()).decode()}
        record["eventID"] = f"shardId-000000000000:{seq}"
        records.append(record)
    return {"Records": records}


def sequence_numbers(event: dict, *positions: int) -> list[dict[str, Any]]:
    return [{"itemIdentifier": event["Records"][p]["kinesis"]["sequenceNumber"]} for p in positions]
