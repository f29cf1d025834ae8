"""AWS clients, built on first use and shared by the process.

Building a boto3 client reads its service model from disk (about a tenth of a second), so none is built at
import: a cold start pays only for the clients its first call needs, and every adapter of one service shares
one client. Tests inject their own clients into the adapters instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3


@cache
def client(service: str) -> Any:
    """The process's boto3 client for ``service`` (``dynamodb``, ``sqs``, ``kinesis``)."""
    return boto3.client(service)
