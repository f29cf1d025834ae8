"""In-process latency of POST /v1/orders through the Lambda handler, on SQLite and on DynamoDB (moto)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from core import usecases as uc
from core.risk_limits import RiskLimits
from infra.stores.dynamodb import create_table
from tests.functional.aws_calls import api_order_calls, chat_order_calls
from tests.functional.conftest import Api, LambdaContext, http_event, load_handler, seed

UNBOUNDED = RiskLimits(
    max_order_quantity=None, max_order_notional=None, max_position_quantity=None, max_gross_exposure=None,
    daily_loss_limit=None, duplicate_window_seconds=0, max_orders_per_minute=None, quote_max_age_seconds=3600,
)


def prepare(api: Api) -> Api:
    seed(api)
    uc.set_limits(api.deps, uc.get_account(api.deps, "ops"), "alice", UNBOUNDED)
    api.quote("AAPL", "189.98", "190.02")
    return api


@pytest.fixture
def sqlite_api(tmp_path, monkeypatch) -> Api:
    return prepare(Api(load_handler(monkeypatch, f"sqlite:///{tmp_path / 'bench.db'}")))


@pytest.fixture
def dynamodb_api(monkeypatch) -> Iterator[Api]:
    fake_credentials = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in fake_credentials.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        create_table(boto3.client("dynamodb"), "bench")
        yield prepare(Api(load_handler(monkeypatch, "dynamodb://bench")))


def post_orders(benchmark, api: Api, say, label: str) -> None:
    token = api.token("alice")
    keys = itertools.count()
    body = {"symbol": "AAPL", "side": "buy", "quantity": "1", "order_type": "market"}
    context = LambdaContext()

    def once() -> dict:
        event = http_event("POST", "/v1/orders", body=body, token=token, headers={"Idempotency-Key": f"b{next(keys)}"})
        return api.module.handler(event, context)

    response = benchmark.pedantic(once, rounds=200, warmup_rounds=5, iterations=1)
    assert response["statusCode"] == 201, response["body"]
    stats = benchmark.stats.stats
    say(f"POST /v1/orders via handler on {label}: median {stats.median * 1e3:.2f} ms "
        f"(max {stats.max * 1e3:.2f} ms, {stats.rounds} orders, each a filled market order)")


def test_post_order_latency_on_sqlite(benchmark, sqlite_api, say) -> None:
    post_orders(benchmark, sqlite_api, say, "SQLite")


def test_post_order_latency_on_dynamodb_under_moto(benchmark, dynamodb_api, say) -> None:
    post_orders(benchmark, dynamodb_api, say, "DynamoDB (moto)")


def test_aws_calls_of_a_chat_order_and_an_api_order_on_dynamodb(dynamodb_api, say) -> None:
    token = dynamodb_api.token("alice")
    chat = chat_order_calls(dynamodb_api, token)
    api = api_order_calls(dynamodb_api, token, "calls-1")
    for label, calls, goal in (("chat order (staged + confirmed, POST /v1/chat)", chat, 12),
                               ("market order (POST /v1/orders)", api, 6)):
        detail = ", ".join(f"{count} {name}" for name, count in sorted(calls.items()))
        say(f"AWS calls of a {label}: {sum(calls.values())} (goal <= {goal}): {detail}")
