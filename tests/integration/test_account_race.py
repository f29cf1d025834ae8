"""Two orders on one account at the same moment, from two processes (SQLite) or two writers (DynamoDB under
moto): the risk decision commits under the account's state, so both cannot pass a limit only one fits."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from core import usecases as uc
from core.accounts import Role
from core.errors import RiskRejected
from core.market import Quote
from core.orders import OrderRequest, Side
from core.risk_limits import RiskLimits
from infra.brokers.paper import PaperBroker
from infra.stores import open_store

LIMITS = RiskLimits(max_position_quantity=D(15), duplicate_window_seconds=0)


def seed(deps: uc.Deps) -> None:
    uc.create_account(deps, "alice")
    ops = uc.create_account(deps, "ops", role=Role.ADMIN)
    uc.set_limits(deps, ops, "alice", LIMITS)
    uc.on_quote(deps, Quote(symbol="AAPL", bid=D("99.98"), ask=D("100.00"), time=datetime.now(UTC)))


def resting_buy(quantity: str) -> OrderRequest:
    return OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(quantity), order_type="limit", limit_price=D("95"))


# How long a process that has read the account's book waits for the other to read it too. Under the SQLite
# unit's write lock the other cannot (it waits to begin), so the wait runs out and the first goes on alone.
MEET_SECONDS = 2


def _place_in_process(url: str, quantity: str, both_read: Any, results: Any) -> None:
    deps = uc.Deps(store=open_store(url), broker=PaperBroker())
    books, real_get = deps.store.books, deps.store.books.get

    def get(account_id: str):  # every unit reads the account's book before it decides: meet there
        found = real_get(account_id)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other is held off, or this is a retry
            both_read.wait(MEET_SECONDS)
        return found

    books.get = get
    try:
        uc.place_order(deps, "alice", resting_buy(quantity))
        results.put("accepted")
    except RiskRejected:
        results.put("rejected")
    except Exception as exc:  # a store that let both in fails here rather than deciding twice
        results.put(f"failed: {type(exc).__name__}")


def test_two_processes_on_one_sqlite_file_cannot_both_pass_the_position_limit(tmp_path: Path) -> None:
    """Each process waits, once it has read the book, for the other to have read it too: without the unit's
    write lock and the book's version check both decide on the same empty book and both pass."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    seed(uc.Deps(store=open_store(url), broker=PaperBroker()))
    context = multiprocessing.get_context("spawn")
    both_read, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_place_in_process, args=(url, q, both_read, results)) for q in ("10", "11")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(results.get(timeout=5) for _ in workers) == ["accepted", "rejected"]


def test_two_writers_on_dynamodb_cannot_both_pass_the_position_limit(dynamodb_client: Any) -> None:
    from infra.stores.dynamodb import open_dynamodb_store
    from tests.integration.test_store_records import TABLE

    deps = uc.Deps(store=open_dynamodb_store(TABLE, dynamodb_client), broker=PaperBroker())
    seed(deps)
    both_read = threading.Barrier(2, timeout=10)
    committing = threading.Lock()
    outcomes: list[str] = []

    def place(quantity: str) -> None:
        unit = deps.store.unit

        def racing_unit():
            opened = unit()
            real_get = opened.books.get

            def get(account_id: str):
                found = real_get(account_id)
                with contextlib.suppress(threading.BrokenBarrierError):  # the retry reads alone
                    both_read.wait()
                return found

            opened.books.get = get
            commit = opened.commit

            def one_at_a_time() -> None:  # DynamoDB applies conditional writes one by one; moto needs help
                with committing:
                    commit()

            opened.commit = one_at_a_time
            return opened

        racing = uc.Deps(store=_StoreWith(deps.store, racing_unit), broker=deps.broker)
        try:
            uc.place_order(racing, "alice", resting_buy(quantity))
            outcomes.append("accepted")
        except RiskRejected:
            outcomes.append("rejected")

    threads = [threading.Thread(target=place, args=(q,)) for q in ("10", "11")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["accepted", "rejected"]
    working = deps.store.books.get("alice").working
    assert sum((w.remaining for w in working.values()), D(0)) in (D(10), D(11))


class _StoreWith:
    """The store, with units made by ``unit``."""

    def __init__(self, store: Any, unit: Any) -> None:
        self._store, self.unit = store, unit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
