"""Fixtures for the store contract: the same tests run against every storage adapter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.ports.store import Store
from infra.stores.memory import MemoryStore
from infra.stores.sqlite import open_sqlite_store

TABLE = "parley-test"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a fixed region, so boto3 never looks for real ones."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def dynamodb_client(aws_env: None) -> Iterator[Any]:
    """A DynamoDB client under moto with the Parley table created."""
    import boto3
    from moto import mock_aws

    from infra.stores.dynamodb import create_table

    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, TABLE)
        yield client


@pytest.fixture
def sqlite_path(tmp_path: Path) -> str:
    return str(tmp_path / "nested" / "dir" / "parley.db")


@pytest.fixture(params=["sqlite", "dynamodb", "memory"])
def store(request: pytest.FixtureRequest, sqlite_path: str) -> Iterator[Store]:
    """Every adapter in turn, empty."""
    if request.param == "sqlite":
        opened = open_sqlite_store(sqlite_path)
    elif request.param == "memory":
        opened = MemoryStore()
    else:
        from infra.stores.dynamodb import open_dynamodb_store

        opened = open_dynamodb_store(TABLE, request.getfixturevalue("dynamodb_client"))
    try:
        yield opened
    finally:
        opened.close()
