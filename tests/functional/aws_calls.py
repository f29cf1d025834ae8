"""Counting every AWS call a piece of code makes, by operation, under moto."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient


@contextmanager
def counting_aws_calls() -> Iterator[Counter[str]]:
    """Within the block, every botocore API call of every client is counted by operation name."""
    calls: Counter[str] = Counter()
    original: Callable[..., Any] = BaseClient._make_api_call

    def counted(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls[operation_name] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def chat_order_calls(api: Any, token: str) -> Counter[str]:
    """The AWS calls of a chat order: `buy 1 AAPL` staged, then confirmed with its code, via POST /v1/chat."""
    with counting_aws_calls() as calls:
        staged = api("POST", "/v1/chat", body={"text": "buy 1 AAPL"}, token=token)
        assert staged.status == 200, staged.body
        confirm = staged.body["replies"][0]["actions"][0]["command"]
        done = api("POST", "/v1/chat", body={"text": confirm}, token=token)
    assert done.status == 200 and done.body["replies"][0]["text"].startswith("Done:"), done.body
    return calls


def api_order_calls(api: Any, token: str, key: str) -> Counter[str]:
    """The AWS calls of a market order through POST /v1/orders."""
    body = {"symbol": "AAPL", "side": "buy", "quantity": "1", "order_type": "market"}
    with counting_aws_calls() as calls:
        placed = api("POST", "/v1/orders", body=body, token=token, headers={"Idempotency-Key": key})
    assert placed.status == 201 and placed.body["status"] == "filled", placed.body
    return calls


def _items_in(operation_name: str, response: dict[str, Any]) -> int:
    """How many items a DynamoDB answer returned: a query's or scan's Count, a get's item, a batch's items."""
    if operation_name in ("Query", "Scan"):
        return int(response.get("Count", 0))
    if operation_name == "GetItem":
        return int("Item" in response)
    if operation_name == "BatchGetItem":
        return sum(len(items) for items in response.get("Responses", {}).values())
    if operation_name == "TransactGetItems":
        return sum(1 for entry in response.get("Responses", []) if entry.get("Item"))
    return 0


@contextmanager
def counting_items_read() -> Iterator[Counter[str]]:
    """Within the block, the DynamoDB items every read call returned, by operation name (the figure DynamoDB
    bills reads by, unlike time under moto, which deep-copies items on every call)."""
    items: Counter[str] = Counter()
    original: Callable[..., Any] = BaseClient._make_api_call

    def counted(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        response = original(self, operation_name, api_params)
        if self.meta.service_model.service_name == "dynamodb":
            items[operation_name] += _items_in(operation_name, response)
        return response

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield items
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
