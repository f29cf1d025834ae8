"""Round trips to AWS per request, on DynamoDB under moto: a unit of work commits in one call and the risk
gate's reads are batched, so an order costs a handful of calls, not dozens."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D

import boto3
import pytest
from moto import mock_aws

from core import usecases as uc
from core.errors import RiskRejected
from core.orders import OrderRequest, Side
from infra.stores.dynamodb import create_table
from tests.functional.aws_calls import api_order_calls, chat_order_calls
from tests.functional.conftest import Api, load_handler, seed

CHAT_ORDER_BUDGET = 12
API_ORDER_BUDGET = 6


@pytest.fixture
def dynamo_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    fake = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in fake.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        create_table(boto3.client("dynamodb"), "calls")
        api = seed(Api(load_handler(monkeypatch, "dynamodb://calls")))
        api.quote("AAPL", "189.98", "190.02")
        yield api


def test_a_chat_order_staged_and_confirmed_costs_at_most_twelve_aws_calls(dynamo_api: Api) -> None:
    calls = chat_order_calls(dynamo_api, dynamo_api.token("alice"))
    assert sum(calls.values()) <= CHAT_ORDER_BUDGET, dict(calls)
    assert [o.status.value for o in uc.list_orders(dynamo_api.deps, "alice")] == ["filled"]


def test_a_market_order_through_the_api_costs_at_most_six_aws_calls(dynamo_api: Api) -> None:
    calls = api_order_calls(dynamo_api, dynamo_api.token("alice"), "k-1")
    assert sum(calls.values()) <= API_ORDER_BUDGET, dict(calls)
    assert calls["TransactWriteItems"] + calls["PutItem"] == 1  # the whole order is one write


def test_on_dynamodb_the_gate_still_reads_the_account_in_the_unit_so_a_later_kill_switch_holds(dynamo_api: Api) -> None:
    """The gate's account comes from the unit's read of the account's partition, not from a copy: an account
    loaded before its kill switch was engaged still has its order refused (recorded as rejected) and no
    position is booked."""
    deps = dynamo_api.deps
    authenticated = uc.get_account(deps, "alice")
    uc.set_kill_switch(deps, uc.get_account(deps, "ops"), engaged=True, account_id="alice")
    request = OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(1), order_type="market")
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(deps, authenticated, request)
    assert "kill_switch_account" in [r["code"] for r in refused.value.details["reasons"]]
    assert [o.status.value for o in uc.list_orders(deps, "alice")] == ["rejected"]
    assert deps.store.positions.get("alice", "AAPL") is None
