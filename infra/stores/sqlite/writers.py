"""The order in which one process's threads take a SQLite file's write lock: first come, first served.

SQLite's own wait for the write lock (the busy handler behind ``busy_timeout``) polls: a waiting connection
sleeps, wakes, tries again, sleeps longer. Whoever tries at the moment the lock is free gets it, so under a
crowd (twenty API requests on one account, the feed, the relay) one waiter can lose every round until its
busy timeout ends and its request fails with "database is locked", while the others are served in
milliseconds. Queuing a process's writers here, in arrival order, before they ask SQLite leaves SQLite one
writer per process to arbitrate: the busy handler still settles writers of different processes (the
`parley` CLI beside `parley serve`), and a thread's wait is bounded by the time the writers ahead of it take.
The standard library's locks promise no order, hence this small queue.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path


class WriterQueue:
    """A lock handed to its waiters in the order they asked for it (a FIFO hand-off, not a free-for-all)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for this thread's turn; False if it did not come."""
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if turn.acquire(timeout=timeout):
            return True
        with self._mutex:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        return True  # handed over between the timeout and the removal: the turn is ours

    def release(self) -> None:
        """Hand the lock to the longest waiter, or free it if nobody waits."""
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def writer_queue(path: str) -> WriterQueue:
    """The one queue of this process's writers of the file at ``path`` (however many stores opened it)."""
    key = str(Path(path).resolve())
    with _queues_lock:
        return _queues.setdefault(key, WriterQueue())
