"""Running a unit of work again when another writer got there first: the one retry every use case uses.

Two writers on one account (eight API requests at once, a fill beside an order) meet as a version conflict
(``ConcurrentUpdate``) at commit. The loser reads afresh and tries again, after a pause drawn at random
between zero and an exponentially growing cap ("full jitter", the AWS Architecture Blog's choice for
contended writers, and botocore's): retrying at once, or after equal pauses, keeps the same writers meeting.
It keeps trying until the deadline: the Lambda's remaining time, less a reserve to answer in, when a handler
set one (``deadline_in``, done for every handler in functions/observability.py), else ``DEFAULT_BUDGET``.

Written here, small, rather than taken from tenacity or backoff: core imports only the standard library and
pydantic (the import rule), and the whole mechanism is one loop.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from core.errors import ConcurrentUpdate

T = TypeVar("T")
FIRST_PAUSE = 0.005  # seconds: the cap of the first pause; it doubles with each conflict...
MAX_PAUSE = 0.25  # ...up to this
DEFAULT_BUDGET = 5.0  # seconds of retrying when no handler set a deadline (the local server, the CLI, tests)

_deadline: ContextVar[float | None] = ContextVar("parley_retry_deadline", default=None)


@contextmanager
def deadline_in(seconds: float) -> Iterator[None]:
    """Within the block, conflicts are retried until ``seconds`` from now (and then surface)."""
    token = _deadline.set(time.monotonic() + max(0.0, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def pause_before(retry: int, draw: Callable[[], float] = random.random) -> float:
    """The pause before retry number ``retry`` (1 for the first): uniform in [0, min(MAX_PAUSE, cap))."""
    return draw() * min(MAX_PAUSE, FIRST_PAUSE * 2.0 ** (retry - 1))


def on_conflict(
    attempt: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call ``attempt`` (one whole unit of work: read, decide, write, commit) until it commits without a
    version conflict, pausing between tries, while the deadline allows; then the conflict is raised. Each try
    reads afresh, so a decision is always taken on the state it commits against (two orders on one account:
    the second sees the first)."""
    deadline = _deadline.get()
    if deadline is None:
        deadline = clock() + DEFAULT_BUDGET
    retry = 0
    while True:
        try:
            return attempt()
        except ConcurrentUpdate:
            retry += 1
            pause = pause_before(retry)
            if clock() + pause >= deadline:
                raise
            sleep(pause)
