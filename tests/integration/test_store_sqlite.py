"""What only the SQLite adapter promises: safe writers across threads and processes, an append-only audit
table even through raw SQL, a file that reopens, no boto3 on import, expired turns dropped from the file."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest

from core.errors import ConcurrentUpdate, StoreError
from core.ports.store import Store
from infra.stores.sqlite import open_sqlite_store
from tests.integration.test_store_records import (
    HOUR,
    at,
    make_account,
    make_audit,
    make_order,
    make_position,
    make_turn,
)


def _bump_position(target: Store, symbol: str) -> int:
    """Add one to a shared position, retrying on ConcurrentUpdate; returns how many retries it took."""
    retries = 0
    while True:
        position = target.positions.get("acct-1", symbol) or make_position(symbol)
        position.quantity += 1
        try:
            target.positions.save(position)
            return retries
        except ConcurrentUpdate:
            retries += 1


def test_sqlite_loses_no_write_under_concurrent_threads(sqlite_path: str) -> None:
    threads, writes = 8, 25
    target = open_sqlite_store(sqlite_path)
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(worker: int) -> None:
        try:
            start.wait()
            for n in range(writes):
                target.orders.add(make_order(f"T{worker}-{n}", created_at=at(n)))
                _bump_position(target, "AAPL")
        except BaseException as exc:  # collected so the main thread can fail the test
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(worker,)) for worker in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so read-modify-write cycles really interleave
    try:
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    try:
        assert errors == []
        assert len(target.orders.list_for_account("acct-1")) == threads * writes
        position = target.positions.get("acct-1", "AAPL")
        assert position is not None
        assert position.quantity == threads * writes
        assert position.version == threads * writes
    finally:
        target.close()


def _process_writer(path: str, worker: int, writes: int, start: Any) -> None:
    target = open_sqlite_store(path)
    start.wait(timeout=60)  # begin together, so the processes really contend for the file
    try:
        for n in range(writes):
            target.orders.add(make_order(f"P{worker}-{n}", created_at=at(n)))
            _bump_position(target, "MSFT")
    finally:
        target.close()


def test_sqlite_accepts_writers_from_separate_processes(sqlite_path: str) -> None:
    processes, writes = 2, 60
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    workers = [context.Process(target=_process_writer, args=(sqlite_path, n, writes, start)) for n in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * processes
    target = open_sqlite_store(sqlite_path)
    try:
        assert len(target.orders.list_for_account("acct-1")) == processes * writes
        position = target.positions.get("acct-1", "MSFT")
        assert position is not None
        assert position.quantity == processes * writes
    finally:
        target.close()


def test_sqlite_refuses_to_change_audit_rows_even_through_raw_sql(sqlite_path: str) -> None:
    target = open_sqlite_store(sqlite_path)
    target.audit.append(make_audit())
    target.close()
    raw = sqlite3.connect(sqlite_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("UPDATE audit SET data = '{}'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM audit")
    finally:
        raw.close()


def test_sqlite_store_is_usable_again_after_reopening_the_same_file(sqlite_path: str) -> None:
    first = open_sqlite_store(sqlite_path)
    first.accounts.add(make_account())
    first.close()
    second = open_sqlite_store(sqlite_path)
    try:
        assert second.accounts.get("acct-1").version == 1
    finally:
        second.close()


def test_importing_the_store_package_does_not_load_boto3() -> None:
    code = "import sys, infra.stores, infra.stores.sqlite; sys.exit('boto3' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_sqlite_append_drops_the_threads_expired_turns_from_the_file(sqlite_path: str) -> None:
    target = open_sqlite_store(sqlite_path)
    try:
        target.conversations.append(make_turn("old", time=at(0), ttl=timedelta(seconds=10)))
        target.conversations.append(make_turn("kept", time=at(0), ttl=HOUR))
        target.conversations.append(make_turn("elsewhere", time=at(0), thread="sms:1", ttl=timedelta(seconds=10)))
        target.conversations.append(make_turn("new", time=at(10), ttl=HOUR))
    finally:
        target.close()
    raw = sqlite3.connect(sqlite_path)
    try:
        stored = {turn_id for (turn_id,) in raw.execute("SELECT id FROM chat_turns")}
    finally:
        raw.close()
    assert stored == {"kept", "elsewhere", "new"}


# Units of work


def test_sqlite_units_do_not_nest_on_one_thread(sqlite_path: str) -> None:
    target = open_sqlite_store(sqlite_path)
    try:
        with target.unit(), pytest.raises(RuntimeError, match="do not nest"), target.unit():
            pass
        with target.unit() as uow:
            uow.accounts.add(make_account())
            uow.commit()
        assert target.accounts.get("acct-1").version == 1
    finally:
        target.close()


def test_a_sqlite_unit_holds_the_write_lock_so_other_writers_wait_for_it(sqlite_path: str) -> None:
    target = open_sqlite_store(sqlite_path)
    done: list[str] = []

    def write_elsewhere() -> None:
        target.orders.add(make_order("O2"))
        done.append("O2")

    try:
        with target.unit() as uow:
            uow.orders.add(make_order("O1"))
            writer = threading.Thread(target=write_elsewhere)
            writer.start()
            writer.join(0.3)
            assert writer.is_alive()
            assert done == []
            uow.commit()
        writer.join(10)
        assert done == ["O2"]
        assert sorted(order.id for order in target.orders.list_for_account("acct-1")) == ["O1", "O2"]
    finally:
        target.close()


def test_a_sqlite_unit_whose_transaction_was_lost_writes_nothing_more_and_cannot_commit(sqlite_path: str) -> None:
    target = open_sqlite_store(sqlite_path)
    try:
        with target.unit() as uow:
            uow.orders.add(make_order("O1"))
            target.db.conn().execute("ROLLBACK")  # as SQLite does on some I/O errors
            with pytest.raises(StoreError):
                uow.orders.add(make_order("O2"))  # not in autocommit, one by one
            with pytest.raises(StoreError):
                uow.commit()
        assert target.orders.list_for_account("acct-1") == []
    finally:
        target.close()
