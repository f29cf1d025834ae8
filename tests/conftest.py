"""Fixtures shared across test folders: a trading service on a real SQLite store with a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.accounts import Role
from core.brokers.paper import PaperBroker
from core.service import TradingService
from core.store.sqlite import open_sqlite_store
from tests.support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(tmp_path: Path, clock: Clock) -> Iterator[TradingService]:
    """Accounts: alice (trader) and ops (admin)."""
    store = open_sqlite_store(str(tmp_path / "parley.db"))
    svc = TradingService(store, PaperBroker(), clock=clock)
    svc.create_account("alice")
    svc.create_account("ops", role=Role.ADMIN)
    yield svc
    store.close()
