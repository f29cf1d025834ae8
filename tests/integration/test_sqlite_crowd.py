"""Twenty threads writing one SQLite file at once, each unit holding the write lock a while: every writer gets
its turn within the busy timeout (SQLite's own wait polls, and under a crowd one waiter could lose every
round until the timeout; a process's writers now queue in arrival order)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from core.accounts import Account
from core.errors import StoreError
from infra.stores.sqlite import base, open_sqlite_store

WRITERS = 20
UNITS_EACH = 8
HOLD_SECONDS = 0.02  # each unit keeps the write lock this long: 20 writers x 20 ms is well inside the timeout
BUSY_TIMEOUT_MS = 2_000


def test_twenty_threads_writing_one_file_all_get_the_write_lock_within_the_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
    store = open_sqlite_store(str(tmp_path / "crowd.db"))
    start = threading.Barrier(WRITERS, timeout=30)
    failures: list[str] = []
    written: list[str] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        start.wait()
        for unit_number in range(UNITS_EACH):
            account = Account(id=f"w{number}-{unit_number}", created_at=datetime.now(UTC))
            try:
                with store.unit() as uow:
                    uow.accounts.add(account)
                    time.sleep(HOLD_SECONDS)
                    uow.commit()
            except StoreError as exc:
                with lock:
                    failures.append(str(exc))
                continue
            with lock:
                written.append(account.id)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        store.close()
    assert failures == []
    assert len(written) == WRITERS * UNITS_EACH

