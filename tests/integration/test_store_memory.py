"""What only the in-memory adapter promises: a fresh store per memory:// URL, one lock that holds other
threads back while a unit is open, units that do not nest, and no write lost under concurrent threads."""

from __future__ import annotations

import sys
import threading

import pytest

from core.errors import ConcurrentUpdate, InvalidRequest, NotFound
from infra.stores import open_store
from infra.stores.memory import MemoryStore
from tests.integration.test_store_records import at, make_account, make_order, make_position


def test_each_memory_url_opens_a_fresh_empty_store() -> None:
    first, second = open_store("memory://"), open_store("memory://")
    assert isinstance(first, MemoryStore)
    first.accounts.add(make_account())
    assert second.accounts.list() == []


def test_an_unknown_store_url_names_every_form_that_works() -> None:
    with pytest.raises(InvalidRequest, match=r"sqlite:///PATH, dynamodb://TABLE or memory://"):
        open_store("redis://localhost")


def test_other_threads_wait_while_a_unit_is_open_and_then_see_its_commit() -> None:
    store = MemoryStore()
    seen: list[object] = []

    def read() -> None:
        try:
            seen.append(store.accounts.get("acct-1").version)
        except NotFound as exc:
            seen.append(exc)

    with store.unit() as uow:
        uow.accounts.add(make_account())
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(0.2)
        assert reader.is_alive()
        assert seen == []
        uow.commit()
    reader.join(5)
    assert seen == [1]


def test_units_do_not_nest_on_one_thread() -> None:
    store = MemoryStore()
    with store.unit(), pytest.raises(RuntimeError, match="do not nest"), store.unit():
        pass
    with store.unit() as uow:  # the refused unit released nothing it did not hold
        uow.accounts.add(make_account())
        uow.commit()
    assert store.accounts.get("acct-1").version == 1


def test_a_write_through_a_unit_outside_its_with_block_is_refused() -> None:
    store = MemoryStore()
    uow = store.unit()
    with pytest.raises(RuntimeError):
        uow.accounts.add(make_account())
    with uow:
        uow.commit()
    with pytest.raises(RuntimeError):
        uow.orders.add(make_order())
    assert store.accounts.list() == []
    assert store.orders.list_for_account("acct-1") == []


def test_a_memory_store_loses_no_write_under_concurrent_threads() -> None:
    store, threads, writes = MemoryStore(), 8, 50
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            start.wait()
            for n in range(writes):
                with store.unit() as uow:
                    uow.orders.add(make_order(f"T{worker}-{n}", created_at=at(n)))
                    position = uow.positions.get("acct-1", "AAPL") or make_position()
                    position.quantity += 1
                    uow.positions.save(position)
                    uow.commit()
                while True:  # outside units, versions still guard read-modify-write cycles
                    position = store.positions.get("acct-1", "MSFT") or make_position("MSFT")
                    position.quantity += 1
                    try:
                        store.positions.save(position)
                        break
                    except ConcurrentUpdate:
                        continue
        except BaseException as exc:  # collected so the main thread can fail the test
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(worker,)) for worker in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert len(store.orders.list_for_account("acct-1")) == threads * writes
    for symbol in ("AAPL", "MSFT"):
        position = store.positions.get("acct-1", symbol)
        assert position is not None
        assert (position.quantity, position.version) == (threads * writes, threads * writes)
