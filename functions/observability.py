"""Powertools Tracer for the handlers, imported only where it can trace.

Tracer switches itself off outside Lambda but still imports the X-Ray SDK and botocore on construction
(about a quarter of a second), so a handler imported by the local server or a test would pay for a
tracer that never records. Inside Lambda (LAMBDA_TASK_ROOT set) this is Powertools' own decorator.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in ("1", "true", "yes", "on")
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not disabled


def capture_lambda_handler(handler: F) -> F:
    if not tracing_enabled():
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer().capture_lambda_handler(handler)
