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
from core.errors import ConcurrentUpdate, RiskRejected
from core.market import Quote
from core.orders import OrderRequest, Side
from core.risk_limits import RiskLimits
from core.usecases.common.retry import deadline_in
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


WRITERS = 8
ORDERS_EACH = 3  # rounds: each is eight meeting reads and up to 36 units under moto, which is slow
API_SECONDS = 28  # the API function's timeout (29 s in template.yaml) less the handler's reserve


def test_eight_writers_on_one_dynamodb_account_all_get_their_orders_placed_without_a_conflict(
    dynamodb_client: Any,
) -> None:
    """Each round, all eight writers read the account's book together (a barrier) and commit one at a time, so
    seven of them lose to the first; the conflict retry (jittered backoff) must carry every order through."""
    from infra.stores.dynamodb import open_dynamodb_store
    from tests.integration.test_store_records import TABLE

    deps = uc.Deps(store=open_dynamodb_store(TABLE, dynamodb_client), broker=PaperBroker())
    seed(deps)
    uc.set_limits(deps, uc.get_account(deps, "ops"), "alice", RiskLimits(
        max_position_quantity=None, max_gross_exposure=None, duplicate_window_seconds=0, max_orders_per_minute=None,
    ))
    # Generous: a round waits for the slowest writer's retries, and moto under a loaded CI machine is slow.
    together = threading.Barrier(WRITERS, timeout=240)
    committing = threading.Lock()
    first_read = threading.local()
    placed: list[str] = []
    surfaced: list[str] = []
    failed: list[str] = []
    unit = deps.store.unit

    def meeting_unit():
        opened = unit()
        real_get = opened.books.get

        def get(account_id: str):
            found = real_get(account_id)
            if getattr(first_read, "pending", False):  # only an order's first try waits; its retries read alone
                first_read.pending = False
                together.wait()
            return found

        opened.books.get = get
        commit = opened.commit

        def one_at_a_time() -> None:  # DynamoDB applies conditional writes one by one; moto needs help
            with committing:
                commit()

        opened.commit = one_at_a_time
        return opened

    meeting = uc.Deps(store=_StoreWith(deps.store, meeting_unit), broker=deps.broker)

    def writer(number: int) -> None:
        for sent in range(ORDERS_EACH):
            first_read.pending = True
            try:
                with deadline_in(API_SECONDS):  # what the API handler sets from its Lambda's remaining time
                    order = uc.place_order(meeting, "alice", resting_buy("1"), idempotency_key=f"w{number}-{sent}")
                placed.append(order.id)
            except ConcurrentUpdate as conflict:
                surfaced.append(conflict.code)
            except Exception as other:  # a thread's exception would vanish with it: keep it for the assertion
                failed.append(repr(other))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert not any(thread.is_alive() for thread in threads)
    assert failed == []
    assert surfaced == []
    assert len(set(placed)) == WRITERS * ORDERS_EACH
    working = deps.store.books.get("alice").working
    assert sorted(working) == sorted(placed)
    assert sum((w.remaining for w in working.values()), D(0)) == WRITERS * ORDERS_EACH


class _StoreWith:
    """The store, with units made by ``unit``."""

    def __init__(self, store: Any, unit: Any) -> None:
        self._store, self.unit = store, unit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
