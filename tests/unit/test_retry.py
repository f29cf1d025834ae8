"""One retry for every unit of work that meets another writer: jittered exponential pauses, until a deadline."""

from __future__ import annotations

import pytest

from core.errors import ConcurrentUpdate
from core.usecases.common import retry
from core.usecases.common.retry import DEFAULT_BUDGET, FIRST_PAUSE, MAX_PAUSE, deadline_in, on_conflict, pause_before


class _Clock:
    """Monotonic time that moves only when the retry sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def conflicting(times: int):
    """An attempt that meets another writer ``times`` times, then commits."""
    tries: list[int] = []

    def attempt() -> str:
        tries.append(1)
        if len(tries) <= times:
            raise ConcurrentUpdate("Book alice was changed by someone else; reload and retry.")
        return "committed"

    return attempt, tries


def test_a_unit_that_meets_other_writers_is_tried_again_after_a_pause_until_it_commits() -> None:
    clock = _Clock()
    attempt, tries = conflicting(7)
    assert on_conflict(attempt, sleep=clock.sleep, clock=clock) == "committed"
    assert len(tries) == 8
    assert len(clock.pauses) == 7 and all(pause >= 0 for pause in clock.pauses)


def test_each_pause_is_drawn_below_a_cap_that_doubles_up_to_the_largest_pause() -> None:
    almost_one = 0.999999
    caps = [pause_before(retry_number, lambda: almost_one) for retry_number in range(1, 12)]
    assert caps[0] == pytest.approx(FIRST_PAUSE, rel=1e-3)
    assert caps[1] == pytest.approx(2 * FIRST_PAUSE, rel=1e-3)
    assert caps[-1] == pytest.approx(MAX_PAUSE, rel=1e-3)
    assert caps == sorted(caps)
    assert pause_before(3, lambda: 0.0) == 0.0


def test_pauses_are_jittered_so_writers_that_met_once_do_not_meet_again_in_step() -> None:
    assert len({round(pause_before(4), 9) for _ in range(20)}) > 1


def test_without_a_handlers_deadline_a_conflict_surfaces_once_the_default_budget_is_spent() -> None:
    clock = _Clock()
    attempt, tries = conflicting(10**6)
    with pytest.raises(ConcurrentUpdate):
        on_conflict(attempt, sleep=clock.sleep, clock=clock)
    assert sum(clock.pauses) <= DEFAULT_BUDGET
    assert sum(clock.pauses) + MAX_PAUSE >= DEFAULT_BUDGET
    assert len(tries) > 3


def test_a_handlers_deadline_bounds_the_retrying_instead_of_the_default_budget() -> None:
    attempt, tries = conflicting(10**6)
    with deadline_in(0.05), pytest.raises(ConcurrentUpdate):
        on_conflict(attempt)
    assert len(tries) >= 2
    attempt, tries = conflicting(2)
    with deadline_in(0), pytest.raises(ConcurrentUpdate):  # no time left: the first conflict surfaces at once
        on_conflict(attempt)
    assert len(tries) == 1


def test_the_deadline_is_the_callers_only_inside_its_block() -> None:
    with deadline_in(30):
        assert retry._deadline.get() is not None
    assert retry._deadline.get() is None
