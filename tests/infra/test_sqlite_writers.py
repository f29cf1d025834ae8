"""The queue that orders one process's SQLite writers: first come, first served, and a bounded wait."""

from __future__ import annotations

import threading
import time

from infra.stores.sqlite.writers import WriterQueue, writer_queue

BOUND = 10.0  # seconds; every wait in these tests is bounded


def test_writers_get_the_lock_in_the_order_they_asked_for_it() -> None:
    queue = WriterQueue()
    assert queue.acquire(BOUND)
    served: list[int] = []

    def writer(number: int) -> None:
        assert queue.acquire(BOUND)
        served.append(number)
        queue.release()

    threads = []
    for number in range(8):
        thread = threading.Thread(target=writer, args=(number,))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + BOUND
        while len(queue._waiting) <= number and time.monotonic() < deadline:  # it is queued before the next asks
            time.sleep(0.001)
    queue.release()
    for thread in threads:
        thread.join(BOUND)
    assert served == list(range(8))


def test_a_writer_that_waited_too_long_gives_up_and_the_next_one_still_gets_its_turn() -> None:
    queue = WriterQueue()
    assert queue.acquire(BOUND)
    assert queue.acquire(0.05) is False
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(queue.acquire(BOUND)))
    waiter.start()
    deadline = time.monotonic() + BOUND
    while not queue._waiting and time.monotonic() < deadline:
        time.sleep(0.001)
    queue.release()
    waiter.join(BOUND)
    assert got == [True]
    queue.release()
    assert queue.acquire(0)  # free again once the last writer is done


def test_two_stores_on_one_file_share_one_queue(tmp_path) -> None:
    file = tmp_path / "p.db"
    assert writer_queue(str(file)) is writer_queue(str(tmp_path / "." / "p.db"))
    assert writer_queue(str(file)) is not writer_queue(str(tmp_path / "other.db"))
