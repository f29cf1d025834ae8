"""What every handler is wrapped in: the retry deadline of its invocation, and Powertools Tracer where it traces.

A unit of work that meets another writer is retried (core/usecases/common/retry.py) until the invocation's remaining
time, less ``RESERVE_SECONDS`` to answer in, runs out: a Lambda never times out mid-retry, and never gives up
while it has time.

Tracer switches itself off outside Lambda but still imports the X-Ray SDK and botocore on construction
(about a quarter of a second), so a handler imported by the local server or a test would pay for a
tracer that never records. Inside Lambda (LAMBDA_TASK_ROOT set) this is Powertools' own decorator.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from core.usecases.common import deadline_in

F = TypeVar("F", bound=Callable)
RESERVE_SECONDS = 1.0  # of an invocation's remaining time, kept for answering after the last retry


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in ("1", "true", "yes", "on")
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not disabled


def capture_lambda_handler(handler: F) -> F:
    bounded = within_remaining_time(handler)
    if not tracing_enabled():
        return bounded
    from aws_lambda_powertools import Tracer

    return Tracer().capture_lambda_handler(bounded)


def within_remaining_time(handler: F) -> F:
    """``handler`` with conflicts retried only while its context's remaining time (less the reserve) lasts;
    a context without one (a test's, the local server's) leaves the retry's default budget."""

    @functools.wraps(handler)
    def bounded(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is None:
            return handler(event, context, *args, **kwargs)
        with deadline_in(remaining() / 1000 - RESERVE_SECONDS):
            return handler(event, context, *args, **kwargs)

    return bounded  # type: ignore[return-value]
