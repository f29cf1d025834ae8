"""AWS clients, built on first use and shared by the process.

Building a boto3 client reads its service model from disk (about a tenth of a second), so none is built at
import: a cold start pays only for the clients its first call needs, and every adapter of one service shares
one client. boto3 itself (about 150 ms of imports) is imported with the first client too, not when a handler
module is imported: a webhook that refuses a forged request, or answers a replay from memory, never loads it;
a stream consumer's first batch pays it, once per container. Tests inject their own clients into the adapters.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    """The process's boto3 client for ``service`` (``dynamodb``, ``sqs``, ``kinesis``)."""
    import boto3

    return boto3.client(service)
