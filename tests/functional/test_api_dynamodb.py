"""The same Lambda handler on its AWS wiring: DynamoDB single table and the JWT secret in Secrets Manager,
both under moto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from core import usecases as uc
from infra.stores.dynamodb import create_table
from tests.functional.conftest import SECRET, Api, load_handler, seed

TABLE = "parley-test"
ORDER = {"symbol": "CL", "side": "buy", "quantity": "2", "order_type": "market"}


@pytest.fixture
def aws_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PARLEY_JWT_SECRET", raising=False)
    with mock_aws():
        create_table(boto3.client("dynamodb"), TABLE)
        arn = boto3.client("secretsmanager").create_secret(Name="parley/jwt", SecretString=SECRET)["ARN"]
        yield seed(Api(load_handler(monkeypatch, f"dynamodb://{TABLE}", PARLEY_JWT_SECRET_ARN=arn)))


def order_items() -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return [i for i in items if i["PK"]["S"].startswith("ORDER#")]


def test_an_order_through_the_handler_on_dynamodb_is_stored_once_however_often_it_is_retried(aws_api: Api) -> None:
    aws_api.quote("CL", "70.00", "70.02")
    token = aws_api.token("alice")
    answers = [
        aws_api("POST", "/v1/orders", body=ORDER, token=token, headers={"Idempotency-Key": "dyn-1"})
        for _ in range(3)
    ]
    assert [a.status for a in answers] == [201, 201, 201]
    assert len({a.body["id"] for a in answers}) == 1
    assert answers[0].body["status"] == "filled" and answers[0].body["average_price"] == "70.020000"
    assert len(order_items()) == 1
    position = aws_api("GET", "/v1/positions", token=token).body["positions"][0]
    assert (position["symbol"], position["quantity"], position["multiplier"]) == ("CL", "2", "1000")


def test_tokens_are_checked_against_the_secret_in_secrets_manager(aws_api: Api) -> None:
    assert aws_api("GET", "/v1/orders", token=aws_api.token("alice")).status == 200
    from datetime import timedelta

    from infra.tokens import issue_token

    alice = uc.get_account(aws_api.deps, "alice")
    forged = issue_token(alice, "some-other-secret-of-enough-length-0123", timedelta(hours=1))
    assert aws_api("GET", "/v1/orders", token=forged).status == 401
