"""The machinery every SQLite repository shares: one connection per thread (``Db``), WAL mode and the busy
timeout, write transactions that stand alone or join the thread's unit of work, the versioned-write and
change-log helpers, and the base repositories. The order writers take the write lock in is in ``writers``."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any, Generic

from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, StoreError
from core.ports import store as ports
from infra.stores.codec import M, key_time, load, versioned
from infra.stores.sqlite.writers import writer_queue

BUSY_TIMEOUT_MS = 10_000
CHANGE_LOG_TTL = ports.CHANGE_LOG_KEPT  # change log entries older than this are dropped (DynamoDB: by TTL)


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL once. The switch needs the file to itself and SQLite does not run the busy
    handler for it, so two processes opening a new file together retry here (bounded) instead of failing."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Db:
    """One connection per thread to one file; every connection is remembered so close() can close it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writers = writer_queue(path)  # this process's writers take SQLite's write lock in turn

    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
                )
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                _use_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.Error as exc:
                raise StoreError(f"Cannot open the database: {exc}") from exc
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def in_unit(self) -> bool:
        return getattr(self._local, "unit", False)

    def begin(self) -> sqlite3.Connection:
        """Open this thread's write transaction, taking the write lock up front so reads cannot go stale.
        The thread first waits its turn among this process's writers (``writers``); end() gives it up."""
        conn = self.conn()
        if not self._writers.acquire(BUSY_TIMEOUT_MS / 1000):
            raise StoreError(f"Database is unavailable for writing: other writers held it for {BUSY_TIMEOUT_MS} ms")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            self._writers.release()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"Database is unavailable for writing: {exc}") from exc
            raise
        self._local.writing = True
        return conn

    def end(self) -> None:
        """Give up this thread's turn among the writers, once its transaction has committed or rolled back."""
        if getattr(self._local, "writing", False):
            self._local.writing = False
            self._writers.release()

    @contextmanager
    def unit(self) -> Iterator[None]:
        """Mark this thread's transaction as a unit of work: write() joins it instead of committing."""
        if self.in_unit():
            raise RuntimeError("a unit of work is already open on this thread; units do not nest")
        self.begin()
        self._local.unit = True
        self._local.failure = None
        try:
            yield
        finally:
            self._local.unit = False
            self._local.failure = None
            try:
                conn = self.conn()
                if conn.in_transaction:  # left without commit() or rollback(): keep nothing, let the next in
                    conn.execute("ROLLBACK")
            finally:
                self.end()

    def finish(self, commit: bool) -> None:
        """End this thread's unit. A commit after a refused write rolls back and raises that write's error,
        so a unit whose caller caught a conflict still keeps nothing (as on DynamoDB, where it shows at commit)."""
        try:
            self._finish(commit)
        finally:
            self.end()

    def _finish(self, commit: bool) -> None:
        conn = self.conn()
        failure: Exception | None = getattr(self._local, "failure", None)
        if not conn.in_transaction:
            if commit:  # SQLite rolled the transaction back itself (an I/O error, say): nothing was kept
                raise failure or StoreError("Database commit failed: the transaction was rolled back.")
            return
        try:
            conn.execute("COMMIT" if commit and failure is None else "ROLLBACK")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"Database commit failed: {exc}") from exc
        if commit and failure is not None:
            raise failure

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction of its own, or, inside a unit of work, a part of the unit's transaction."""
        if self.in_unit():
            conn = self.conn()
            try:
                if not conn.in_transaction:  # never let a unit's writes fall back to autocommit one by one
                    raise StoreError("Database write failed: the unit's transaction was rolled back.")
                yield conn
            except Exception as exc:
                error = StoreError(f"Database write failed: {exc}") if isinstance(exc, sqlite3.Error) else exc
                if getattr(self._local, "failure", None) is None:
                    self._local.failure = error
                if error is exc:
                    raise
                raise error from exc
            return
        conn = self.begin()
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"Database write failed: {exc}") from exc
            raise
        finally:
            self.end()

    def many(self, model: type[M], sql: str, params: tuple[Any, ...] = ()) -> list[M]:
        """Run a query whose only column is the record JSON."""
        try:
            rows = self.conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"Database read failed: {exc}") from exc
        return [load(model, data) for (data,) in rows]

    def one(self, model: type[M], sql: str, params: tuple[Any, ...] = ()) -> M | None:
        found = self.many(model, sql, params)
        return found[0] if found else None

    def create(self, table: str, row: dict[str, Any], taken: Callable[[], Exception]) -> None:
        """INSERT ``row``; if its key is taken, raise ``taken()`` (inside the write, so a unit knows)."""
        with self.write() as conn:
            if not insert(conn, table, row):
                raise taken()

    def put_versioned(
        self, table: str, key: dict[str, Any], row: dict[str, Any], expected: int, what: str, *, create: bool = False
    ) -> None:
        """Update the row only if its stored version is ``expected``; with ``create``, insert it instead."""
        with self.write() as conn:
            if create:
                if not insert(conn, table, key | row):
                    raise ConcurrentUpdate(f"{what} was created by someone else; reload and retry.")
                return
            where = " AND ".join(f"{column} = ?" for column in key)
            sets = ", ".join(f"{column} = ?" for column in row)
            sql = f"UPDATE {table} SET {sets} WHERE {where} AND version = ?"
            if conn.execute(sql, (*row.values(), *key.values(), expected)).rowcount == 1:
                return
            # The port folds "missing" into ConcurrentUpdate: there is no stored version to match.
            missing = conn.execute(f"SELECT 1 FROM {table} WHERE {where}", tuple(key.values())).fetchone() is None
            change = "does not exist" if missing else "was changed by someone else"
            raise ConcurrentUpdate(f"{what} {change}; reload and retry.", expected=expected, missing=missing)

    def log(self, table: str, text: str, time: datetime) -> None:
        """Append a change-log entry to ``table`` and drop the entries past their day. AUTOINCREMENT never
        reuses a number, and units are serialised (BEGIN IMMEDIATE): numbers follow commit order."""
        with self.write() as conn:
            conn.execute(f"INSERT INTO {table} (time, data) VALUES (?, ?)", (key_time(time), text))
            conn.execute(f"DELETE FROM {table} WHERE time < ?", (key_time(time - CHANGE_LOG_TTL),))

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Run a read and return its raw rows."""
        try:
            return self.conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"Database read failed: {exc}") from exc

    def changes(self, table: str, cursor: int) -> list[tuple[int, str, str]]:
        """(seq, time, data) of the entries of the change log ``table`` past ``cursor``, in order."""
        return self.rows(f"SELECT seq, time, data FROM {table} WHERE seq > ? ORDER BY seq", (cursor,))

    def last_seq(self, table: str) -> int:
        try:
            row = self.conn().execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"Database read failed: {exc}") from exc
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


def insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> bool:
    marks = ", ".join("?" * len(row))
    sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    return conn.execute(sql, tuple(row.values())).rowcount == 1


class Repo:
    def __init__(self, db: Db) -> None:
        self.db = db


class Versioned(Repo, Generic[M]):
    """add / get / update of one versioned record per id in ``table``: the shape accounts, orders and alerts
    share. Subclasses name the record and give the indexed columns of its row."""

    model: type[M]
    noun: str
    table: str

    def _row(self, record: M, version: int, text: str) -> dict[str, Any]:
        return {"version": version, "data": text}

    def _details(self, record_id: str) -> dict[str, str]:
        return {f"{self.noun.lower()}_id": record_id}

    def add(self, record: M) -> M:
        stored, text = versioned(record, 1)
        taken = partial(AlreadyExists, f"{self.noun} {record.id} already exists.", **self._details(record.id))
        self.db.create(self.table, {"id": record.id} | self._row(record, 1, text), taken)
        return stored

    def get(self, record_id: str) -> M:
        found = self.db.one(self.model, f"SELECT data FROM {self.table} WHERE id = ?", (record_id,))
        if found is None:
            raise NotFound(f"{self.noun} {record_id} not found.", **self._details(record_id))
        return found

    def update(self, record: M) -> M:
        stored, text = versioned(record, record.version + 1)
        row = self._row(record, stored.version, text)
        self.db.put_versioned(self.table, {"id": record.id}, row, record.version, f"{self.noun} {record.id}")
        return stored
