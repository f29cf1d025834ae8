"""Benchmarks run with `make bench` only (files are named bench_*.py, outside the test run)."""

from __future__ import annotations

import pytest


def report(line: str) -> None:
    """Benchmark figures go to the terminal, whatever pytest's capture setting."""
    print(f"\n[bench] {line}", flush=True)


@pytest.fixture
def say():
    return report
