"""Fixtures shared across test folders: the use cases' dependencies on the in-memory store, with a settable
clock. The store contract suite (tests/integration) proves the other stores behave the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from channels.policies import policies
from core import usecases as uc
from core.accounts import Role
from core.sessions import Sessions
from infra.brokers.paper import PaperBroker
from infra.stores import open_store
from tests import markers
from tests.support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock: Clock) -> Iterator[uc.Deps]:
    """The platform's dependencies. Accounts: alice (trader) and ops (admin)."""
    store = open_store("memory://")
    # Exchange hours, as in AWS. The clock (Friday 27 Nov 2026, 10:00 New York, an early close at 13:00) is
    # inside every market's session; a test that leaves it picks its hour on purpose.
    deps = uc.Deps(store=store, broker=PaperBroker(), clock=clock, sessions=Sessions.exchange(), policies=policies())
    uc.create_account(deps, "alice")
    uc.create_account(deps, "ops", role=Role.ADMIN)
    yield deps
    store.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tiers by folder (tests/markers.py): ``-m "unit and not aws"`` is the inner loop (``make test-fast``)."""
    markers.mark(items)
