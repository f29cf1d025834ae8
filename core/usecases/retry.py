"""Running a unit of work again when another writer got there first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from core.errors import ConcurrentUpdate

T = TypeVar("T")
ATTEMPTS = 3


def on_conflict(attempt: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Call ``attempt`` (one whole unit of work: read, decide, write, commit) until it commits without a
    version conflict, at most ``attempts`` times. Each try reads afresh, so a decision is always taken on
    the state it commits against (two orders on one account: the second sees the first)."""
    for tried in range(1, attempts + 1):
        try:
            return attempt()
        except ConcurrentUpdate:
            if tried == attempts:
                raise
    raise AssertionError("unreachable")
