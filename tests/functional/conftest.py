"""Drive the real Lambda path: API Gateway HTTP API (payload v2) events into functions.api.handler.handler."""

from __future__ import annotations

import base64
import copy
import importlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from core import usecases as uc
from core.accounts import Role
from core.market import Quote

EVENT_TEMPLATE = json.loads((Path(__file__).parent.parent / "events" / "apigw_http_v2.json").read_text())
SECRET = "test-secret-for-functional-tests-only-0123456789"


@dataclass
class LambdaContext:
    function_name: str = "parley-api"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:parley-api"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> dict:
    """``body`` is sent as JSON; ``raw`` bytes as they are (base64 in the event, as API Gateway sends binary),
    with only the headers given."""
    event = copy.deepcopy(EVENT_TEMPLATE)
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    if query:
        event["rawQueryString"] = urlencode(query)
        event["queryStringParameters"] = dict(query)
    merged = dict(event["headers"])
    if token:
        merged["authorization"] = f"Bearer {token}"
    if body is not None:
        text = body if isinstance(body, str) else json.dumps(body)
        event["body"] = text
        merged["content-type"] = "application/json"
        merged["content-length"] = str(len(text.encode()))
    if raw is not None:
        event["body"] = base64.b64encode(raw).decode()
        event["isBase64Encoded"] = True
        merged["content-length"] = str(len(raw))
    merged.update({k.lower(): v for k, v in (headers or {}).items()})
    event["headers"] = merged
    return event


@dataclass
class Response:
    status: int
    headers: dict
    body: Any


class Api:
    """Calls the Lambda handler the way API Gateway does, and decodes its answer."""

    def __init__(self, module) -> None:
        self.module = module
        self.platform = module.platform
        self.deps = module.platform.deps

    def __call__(self, method: str, path: str, **kwargs: Any) -> Response:
        raw = self.module.handler(http_event(method, path, **kwargs), LambdaContext())
        text = raw.get("body") or ""
        try:
            body = json.loads(text) if text else None
        except json.JSONDecodeError:
            body = text
        return Response(raw["statusCode"], raw.get("headers", {}), body)

    def token(self, account_id: str) -> str:
        from datetime import timedelta

        from infra.tokens import issue_token

        return issue_token(uc.get_account(self.deps, account_id), SECRET, timedelta(hours=1))

    def quote(self, symbol: str, bid: str, ask: str) -> None:
        uc.on_quote(
            self.deps,
            Quote(symbol=symbol, bid=Decimal(bid), ask=Decimal(ask), last=Decimal(ask), time=datetime.now(UTC))
        )


def load_handler(monkeypatch: pytest.MonkeyPatch, store_url: str, **env: str):
    from infra import settings

    monkeypatch.setenv("PARLEY_STORE_URL", store_url)
    monkeypatch.setenv("PARLEY_FEED", "off")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "parley")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ParleyTest")
    # Quotes here carry the wall clock, so every market is kept open (the demo calendar); exchange hours
    # through the handler are tested with a fixed clock in test_api_sessions.py.
    monkeypatch.setenv("PARLEY_CALENDAR", "always-open")
    if "PARLEY_JWT_SECRET_ARN" not in env:
        monkeypatch.setenv("PARLEY_JWT_SECRET", SECRET)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.get_settings.cache_clear()
    import functions.api.handler as module

    return importlib.reload(module)


def seed(api: Api) -> Api:
    uc.create_account(api.deps, "alice")
    uc.create_account(api.deps, "bob")
    uc.create_account(api.deps, "ops", role=Role.ADMIN)
    return api


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Api:
    return seed(Api(load_handler(monkeypatch, f"sqlite:///{tmp_path / 'parley.db'}")))
