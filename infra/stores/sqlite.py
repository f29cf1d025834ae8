"""SQLite adapter for the storage ports: the local and test stand-in for DynamoDB.

Each record is one JSON text column plus the indexed columns its queries need. The database runs in WAL
mode with a busy timeout; each thread gets its own connection, and every read-modify-write runs inside
``BEGIN IMMEDIATE`` so several threads and processes can write one file safely.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Generic

from core.accounts import Account, SystemSettings
from core.alerts import Alert, AlertChange, AlertStatus
from core.audit import AuditRecord
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, StoreError
from core.market import Quote, SessionClose
from core.memory import ChatTurn
from core.notifications import Notification
from core.orders import Fill, Order, OrderChange
from core.portfolio import Position
from core.ports import store as ports
from core.risk_book import RiskBook
from core.signals import SignalSource
from infra.private import private_file, private_folder
from infra.stores.codec import M, dump, from_key_time, key_time, load, versioned
from infra.stores.sqlite_channels import SCHEMA as CHANNEL_SCHEMA
from infra.stores.sqlite_channels import SqliteContacts, SqliteLinkCodes, SqliteMessages
from infra.stores.sqlite_writers import writer_queue

BUSY_TIMEOUT_MS = 10_000
CHANGE_LOG_TTL = ports.CHANGE_LOG_KEPT  # change log entries older than this are dropped (DynamoDB: by TTL)

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, symbol TEXT NOT NULL,
    is_open INTEGER NOT NULL, created_at TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account_id, created_at, id);
CREATE INDEX IF NOT EXISTS orders_open_by_symbol ON orders (symbol, created_at, id) WHERE is_open = 1;
CREATE TABLE IF NOT EXISTS fills (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, time TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fills_by_account ON fills (account_id, time, id);
CREATE TABLE IF NOT EXISTS positions (account_id TEXT NOT NULL, symbol TEXT NOT NULL,
    version INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account_id, symbol));
CREATE TABLE IF NOT EXISTS quotes (symbol TEXT PRIMARY KEY, time TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS closes (symbol TEXT PRIMARY KEY, at TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, time TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_account ON audit (account_id, time, id);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, expires_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS books (account_id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, symbol TEXT NOT NULL,
    is_active INTEGER NOT NULL, created_at TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_by_account ON alerts (account_id, created_at, id);
CREATE INDEX IF NOT EXISTS alerts_active_by_symbol ON alerts (symbol, created_at, id) WHERE is_active = 1;
CREATE TABLE IF NOT EXISTS alert_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alert_changes_by_time ON alert_changes (time);
CREATE TABLE IF NOT EXISTS order_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS order_changes_by_time ON order_changes (time);
CREATE INDEX IF NOT EXISTS order_changes_by_symbol ON order_changes (json_extract(data, '$.symbol'), seq);
CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, created_at TEXT NOT NULL,
    sent INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS notifications_by_account ON notifications (account_id, created_at, id);
CREATE INDEX IF NOT EXISTS notifications_unsent ON notifications (created_at, id) WHERE sent = 0;
CREATE TABLE IF NOT EXISTS signal_sources (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chat_turns (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, thread TEXT NOT NULL,
    time TEXT NOT NULL, expires_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chat_turns_by_thread ON chat_turns (account_id, thread, time, id);
"""


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


class _Db:
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
        The thread first waits its turn among this process's writers (``sqlite_writers``); end() gives it up."""
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
            if not _insert(conn, table, row):
                raise taken()

    def put_versioned(
        self, table: str, key: dict[str, Any], row: dict[str, Any], expected: int, what: str, *, create: bool = False
    ) -> None:
        """Update the row only if its stored version is ``expected``; with ``create``, insert it instead."""
        with self.write() as conn:
            if create:
                if not _insert(conn, table, key | row):
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


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> bool:
    marks = ", ".join("?" * len(row))
    sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    return conn.execute(sql, tuple(row.values())).rowcount == 1


class _Repo:
    def __init__(self, db: _Db) -> None:
        self.db = db


class _Versioned(_Repo, Generic[M]):
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


class SqliteAccounts(_Versioned[Account], ports.AccountRepository):
    model, noun, table = Account, "Account", "accounts"

    def list(self) -> list[Account]:
        return self.db.many(Account, "SELECT data FROM accounts ORDER BY id")


class SqliteOrders(_Versioned[Order], ports.OrderRepository):
    model, noun, table = Order, "Order", "orders"

    def _row(self, order: Order, version: int, text: str) -> dict[str, Any]:
        return {
            "account_id": order.account_id,
            "symbol": order.symbol,
            "is_open": int(order.status.is_open),
            "created_at": key_time(order.created_at),
            "version": version,
            "data": text,
        }

    def list_for_account(
        self, account_id: str, *, since: datetime | None = None, open_only: bool = False, limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[Order]:
        sql = "SELECT data FROM orders WHERE account_id = ? AND created_at >= ?"
        floor = key_time(since) if since is not None else ""
        args: tuple = (account_id, floor)
        if open_only:
            sql += " AND is_open = 1"
        if before is not None:  # keyset: the rows after that order, read through the index, not skipped over
            sql += " AND (created_at, id) < (?, ?)"
            args += (key_time(before[0]), before[1])
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        return self.db.many(Order, sql, (*args, -1 if limit is None else limit))

    def list_open_for_symbol(self, symbol: str) -> list[Order]:
        sql = "SELECT data FROM orders WHERE symbol = ? AND is_open = 1 ORDER BY created_at, id"
        return self.db.many(Order, sql, (symbol,))

    def log_change(self, order: Order, time: datetime) -> None:
        self.db.log("order_changes", dump(order), time)

    # One AUTOINCREMENT sequence serves every symbol (SQLite serialises writers anyway); a symbol's entries are
    # picked by the order's symbol inside the entry, through an index on that expression, so the local file
    # needs no new column.
    def changes_since(self, symbol: str, cursor: int) -> list[OrderChange]:
        sql = "SELECT seq, time, data FROM order_changes WHERE seq > ? AND json_extract(data, '$.symbol') = ?"
        rows = self.db.rows(f"{sql} ORDER BY seq", (cursor, symbol))
        return [OrderChange(seq=seq, time=from_key_time(time), order=load(Order, data)) for seq, time, data in rows]

    def last_change(self, symbol: str) -> int:
        sql = "SELECT MAX(seq) FROM order_changes WHERE json_extract(data, '$.symbol') = ?"
        (seq,) = self.db.rows(sql, (symbol,))[0]
        return int(seq or 0)


class SqliteFills(_Repo, ports.FillRepository):
    def add(self, fill: Fill) -> None:
        row = {"id": fill.id, "account_id": fill.account_id, "time": key_time(fill.time), "data": dump(fill)}
        self.db.create("fills", row, partial(AlreadyExists, f"Fill {fill.id} is already recorded.", fill_id=fill.id))

    def list_for_account(self, account_id: str, *, since: datetime | None = None) -> list[Fill]:
        sql = "SELECT data FROM fills WHERE account_id = ? AND time >= ?"
        sql += " ORDER BY time, json_extract(data, '$.sequence'), id"
        return self.db.many(Fill, sql, (account_id, key_time(since) if since is not None else ""))


class SqlitePositions(_Repo, ports.PositionRepository):
    def get(self, account_id: str, symbol: str) -> Position | None:
        sql = "SELECT data FROM positions WHERE account_id = ? AND symbol = ?"
        return self.db.one(Position, sql, (account_id, symbol))

    def save(self, position: Position) -> Position:
        stored, text = versioned(position, position.version + 1)
        key = {"account_id": position.account_id, "symbol": position.symbol}
        what = f"Position {position.account_id}/{position.symbol}"
        row = {"version": stored.version, "data": text}
        self.db.put_versioned("positions", key, row, position.version, what, create=position.version == 0)
        return stored

    def list_for_account(self, account_id: str) -> list[Position]:
        return self.db.many(Position, "SELECT data FROM positions WHERE account_id = ? ORDER BY symbol", (account_id,))


class SqliteQuotes(_Repo, ports.QuoteRepository):
    # Kept only if newer than the stored quote: a replayed or older quote changes nothing.
    PUT = (
        "INSERT INTO quotes (symbol, time, data) VALUES (?, ?, ?) ON CONFLICT (symbol) DO UPDATE"
        " SET time = excluded.time, data = excluded.data WHERE excluded.time > quotes.time"
    )

    def put(self, quote: Quote) -> bool:
        with self.db.write() as conn:
            return conn.execute(self.PUT, (quote.symbol, key_time(quote.time), dump(quote))).rowcount == 1

    def put_many(self, quotes: list[Quote]) -> tuple[set[str], set[str]]:
        kept = set()
        try:
            with self.db.write() as conn:  # one transaction for the batch, not one per symbol
                for quote in quotes:
                    if conn.execute(self.PUT, (quote.symbol, key_time(quote.time), dump(quote))).rowcount == 1:
                        kept.add(quote.symbol)
        except StoreError:
            return set(), {quote.symbol for quote in quotes}
        return kept, set()

    def get(self, symbol: str) -> Quote | None:
        return self.db.one(Quote, "SELECT data FROM quotes WHERE symbol = ?", (symbol,))

    def get_many(self, symbols: list[str]) -> dict[str, Quote]:
        return self._by_symbol(Quote, "quotes", symbols)

    # Kept only if a later close than the stored one: a sweep that runs late or twice changes nothing.
    PUT_CLOSE = (
        "INSERT INTO closes (symbol, at, data) VALUES (?, ?, ?) ON CONFLICT (symbol) DO UPDATE"
        " SET at = excluded.at, data = excluded.data WHERE excluded.at > closes.at"
    )

    def put_close(self, close: SessionClose) -> None:
        with self.db.write() as conn:
            conn.execute(self.PUT_CLOSE, (close.symbol, key_time(close.at), dump(close)))

    def get_closes(self, symbols: list[str]) -> dict[str, SessionClose]:
        return self._by_symbol(SessionClose, "closes", symbols)

    def _by_symbol(self, model: type[M], table: str, symbols: list[str]) -> dict[str, M]:
        found: dict[str, M] = {}
        wanted = sorted(set(symbols))
        for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
            chunk = tuple(wanted[start : start + 500])
            sql = f"SELECT data FROM {table} WHERE symbol IN ({', '.join('?' * len(chunk))})"
            found.update((record.symbol, record) for record in self.db.many(model, sql, chunk))
        return found


class SqliteAudit(_Repo, ports.AuditLog):
    def append(self, record: AuditRecord) -> None:
        row = {"id": record.id, "account_id": record.account_id, "time": key_time(record.time), "data": dump(record)}
        taken = partial(AlreadyExists, f"Audit record {record.id} already exists.", record_id=record.id)
        self.db.create("audit", row, taken)

    def list_for_account(self, account_id: str, *, limit: int | None = None) -> list[AuditRecord]:
        sql = "SELECT data FROM audit WHERE account_id = ? ORDER BY time, id LIMIT ?"
        return self.db.many(AuditRecord, sql, (account_id, -1 if limit is None else limit))


class SqliteIdempotency(_Repo, ports.IdempotencyStore):
    def claim(self, key: str, fingerprint: str, *, now: datetime, ttl_seconds: int) -> ports.IdempotencyRecord | None:
        expires_at = now + timedelta(seconds=ttl_seconds)
        record = ports.IdempotencyRecord(key=key, fingerprint=fingerprint, expires_at=expires_at)
        with self.db.write() as conn:
            row = conn.execute("SELECT expires_at, data FROM idempotency WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] > key_time(now):
                return load(ports.IdempotencyRecord, row[1])
            sql = "INSERT OR REPLACE INTO idempotency (key, expires_at, data) VALUES (?, ?, ?)"
            conn.execute(sql, (key, key_time(expires_at), dump(record)))
        return None

    def complete(self, key: str, result: dict[str, Any]) -> None:
        with self.db.write() as conn:
            row = conn.execute("SELECT data FROM idempotency WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise NotFound(f"No idempotency record for key {key!r}.", key=key)
            record = load(ports.IdempotencyRecord, row[0])
            done = record.model_copy(update={"status": ports.IdempotencyStatus.COMPLETED, "result": result})
            conn.execute("UPDATE idempotency SET data = ? WHERE key = ?", (dump(done), key))

    def release(self, key: str) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM idempotency WHERE key = ?", (key,))


class SqliteBooks(_Repo, ports.RiskBookRepository):
    def get(self, account_id: str) -> RiskBook:
        found = self.db.one(RiskBook, "SELECT data FROM books WHERE account_id = ?", (account_id,))
        return found or RiskBook(account_id=account_id)

    def save(self, book: RiskBook) -> RiskBook:
        stored, text = versioned(book, book.version + 1)
        key, row = {"account_id": book.account_id}, {"version": stored.version, "data": text}
        self.db.put_versioned("books", key, row, book.version, f"Risk book {book.account_id}", create=book.version == 0)
        return stored


class SqliteSettings(_Repo, ports.SettingsRepository):
    def get(self) -> SystemSettings:
        return self.db.one(SystemSettings, "SELECT data FROM settings WHERE id = 1") or SystemSettings()

    def save(self, settings: SystemSettings) -> SystemSettings:
        stored, text = versioned(settings, settings.version + 1)
        row = {"version": stored.version, "data": text}
        self.db.put_versioned("settings", {"id": 1}, row, settings.version, "Settings", create=settings.version == 0)
        return stored


class SqliteAlerts(_Versioned[Alert], ports.AlertRepository):
    model, noun, table = Alert, "Alert", "alerts"

    def _row(self, alert: Alert, version: int, text: str) -> dict[str, Any]:
        return {
            "account_id": alert.account_id,
            "symbol": alert.symbol,
            "is_active": int(alert.status is AlertStatus.ACTIVE),
            "created_at": key_time(alert.created_at),
            "version": version,
            "data": text,
        }

    def delete(self, alert_id: str) -> None:
        with self.db.write() as conn:
            if conn.execute("DELETE FROM alerts WHERE id = ?", (alert_id,)).rowcount == 0:
                raise NotFound(f"Alert {alert_id} not found.", alert_id=alert_id)

    def list_for_account(
        self, account_id: str, *, limit: int | None = None, before: tuple[datetime, str] | None = None,
        cancelled: bool = True,
    ) -> list[Alert]:
        sql, args = "SELECT data FROM alerts WHERE account_id = ?", (account_id,)
        if not cancelled:
            sql += " AND json_extract(data, '$.status') != 'cancelled'"
        if before is not None:  # keyset: the rows after that alert
            sql += " AND (created_at, id) < (?, ?)"
            args += (key_time(before[0]), before[1])
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        return self.db.many(Alert, sql, (*args, -1 if limit is None else limit))

    def list_active_for_symbol(self, symbol: str) -> list[Alert]:
        sql = "SELECT data FROM alerts WHERE symbol = ? AND is_active = 1 ORDER BY created_at, id"
        return self.db.many(Alert, sql, (symbol,))

    def log_change(self, alert: Alert, time: datetime) -> None:
        self.db.log("alert_changes", dump(alert), time)

    def changes_since(self, cursor: int) -> list[AlertChange]:
        rows = self.db.changes("alert_changes", cursor)
        return [
            AlertChange(seq=seq, time=from_key_time(time), alert=load(Alert, data)) for seq, time, data in rows
        ]

    def last_change(self) -> int:
        return self.db.last_seq("alert_changes")


class SqliteNotifications(_Repo, ports.NotificationRepository):
    def add(self, notification: Notification) -> None:
        row = {
            "id": notification.id,
            "account_id": notification.account_id,
            "created_at": key_time(notification.created_at),
            "sent": int(notification.sent_at is not None),
            "data": dump(notification),
        }
        taken = partial(AlreadyExists, f"Notification {notification.id} exists.", notification_id=notification.id)
        self.db.create("notifications", row, taken)

    def get(self, notification_id: str) -> Notification | None:
        return self.db.one(Notification, "SELECT data FROM notifications WHERE id = ?", (notification_id,))

    def list_for_account(
        self, account_id: str, *, limit: int = 50, before: tuple[datetime, str] | None = None
    ) -> list[Notification]:
        sql, args = "SELECT data FROM notifications WHERE account_id = ?", (account_id,)
        if before is not None:  # keyset: the rows after that notification
            sql += " AND (created_at, id) < (?, ?)"
            args += (key_time(before[0]), before[1])
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        return self.db.many(Notification, sql, (*args, limit))

    def list_unsent(self, *, limit: int = 100) -> list[Notification]:
        sql = "SELECT data FROM notifications WHERE sent = 0 ORDER BY created_at, id LIMIT ?"
        return self.db.many(Notification, sql, (limit,))

    def mark_sent(self, notification: Notification, at: datetime) -> None:
        sent = notification.model_copy(update={"sent_at": at})
        with self.db.write() as conn:
            conn.execute("UPDATE notifications SET sent = 1, data = ? WHERE id = ? AND sent = 0",
                         (dump(sent), notification.id))


class SqliteSignalSources(_Repo, ports.SignalSourceRepository):
    def add(self, source: SignalSource) -> SignalSource:
        taken = partial(AlreadyExists, f"Signal source {source.id} exists.", source_id=source.id)
        self.db.create("signal_sources", {"id": source.id, "data": dump(source)}, taken)
        return load(SignalSource, dump(source))

    def get(self, source_id: str) -> SignalSource | None:
        return self.db.one(SignalSource, "SELECT data FROM signal_sources WHERE id = ?", (source_id,))

    def list_for_account(self, account_id: str) -> list[SignalSource]:
        sql = ("SELECT data FROM signal_sources WHERE json_extract(data, '$.account_id') = ? "
               "ORDER BY json_extract(data, '$.created_at'), id")
        return self.db.many(SignalSource, sql, (account_id,))


class SqliteConversations(_Repo, ports.ConversationRepository):
    def append(self, turn: ChatTurn) -> None:
        time = key_time(turn.time)
        row = {
            "id": turn.id,
            "account_id": turn.account_id,
            "thread": turn.thread,
            "time": time,
            "expires_at": key_time(turn.expires_at),
            "data": dump(turn),
        }
        with self.db.write() as conn:
            if _insert(conn, "chat_turns", row):
                # Turns already expired when this one was said are dead weight: drop the thread's, so the
                # file does not grow without bound (DynamoDB's TTL does this job there).
                sql = "DELETE FROM chat_turns WHERE account_id = ? AND thread = ? AND expires_at <= ?"
                conn.execute(sql, (turn.account_id, turn.thread, time))

    def recent(self, account_id: str, thread: str, *, limit: int, now: datetime) -> list[ChatTurn]:
        if limit <= 0:
            return []
        sql = (
            "SELECT data FROM chat_turns WHERE account_id = ? AND thread = ? AND expires_at > ?"
            " ORDER BY time DESC, id DESC LIMIT ?"
        )
        return self.db.many(ChatTurn, sql, (account_id, thread, key_time(now), limit))[::-1]


class SqliteUnitOfWork(ports.UnitOfWork):
    """One SQLite transaction (BEGIN IMMEDIATE) on this thread's connection, from ``with`` to commit.

    The write lock is taken when the unit opens, so the unit's reads and writes are serialised with every
    other writer of the file, in this process and in others: a risk decision cannot go stale before its
    order is written. A write refused inside the unit (a conflict, NotFound) dooms it: commit() then rolls
    back and raises that error, even if the caller caught it.

    The unit is the thread's transaction, so any write on this thread while it is open joins it, including
    ``store.<repository>`` writes and the quote, idempotency and chat writes that are not part of a unit on
    the other adapters: on SQLite they commit or roll back with the unit (one connection has one transaction;
    a second connection would wait on the unit's own write lock).
    """

    def __init__(self, store: SqliteStore) -> None:
        self._db = store.db
        self._open: ExitStack | None = None
        for name in ("accounts", "orders", "fills", "positions", "quotes", "audit", "settings", "alerts", "books"):
            setattr(self, name, getattr(store, name))
        self.notifications = store.notifications
        self.contacts, self.link_codes, self.messages = store.contacts, store.link_codes, store.messages

    def __enter__(self) -> SqliteUnitOfWork:
        stack = ExitStack()
        stack.enter_context(self._db.unit())
        self._open = stack
        return self

    def commit(self) -> None:
        self._end(commit=True)

    def rollback(self) -> None:
        self._end(commit=False)

    def _end(self, commit: bool) -> None:
        if self._open is None:
            return
        stack, self._open = self._open, None
        try:
            self._db.finish(commit)
        finally:
            stack.close()


@dataclass
class SqliteStore(ports.Store):
    """The SQLite repositories over one database file; close() closes every thread's connection."""

    db: _Db = field(repr=False, kw_only=True)

    def unit(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self)

    def close(self) -> None:
        self.db.close()


def open_sqlite_store(path: str) -> SqliteStore:
    """Open (creating if needed) the database at ``path``, with its parent folders and schema."""
    file = Path(path).expanduser()
    private_folder(file.parent)
    # SQLite gives the -wal and -shm files the database file's permissions: owner-only from the start.
    for own in (file, file.with_name(f"{file.name}-wal"), file.with_name(f"{file.name}-shm")):
        if own is file or own.exists():
            private_file(own)
    db = _Db(str(file))
    try:
        db.conn().executescript(f"BEGIN IMMEDIATE;\n{SCHEMA}{CHANNEL_SCHEMA}\nCOMMIT;")
    except (sqlite3.Error, StoreError) as exc:
        db.close()
        raise StoreError(f"Cannot create the database schema at {file}: {exc}") from exc
    return SqliteStore(
        accounts=SqliteAccounts(db),
        orders=SqliteOrders(db),
        fills=SqliteFills(db),
        positions=SqlitePositions(db),
        quotes=SqliteQuotes(db),
        audit=SqliteAudit(db),
        idempotency=SqliteIdempotency(db),
        settings=SqliteSettings(db),
        books=SqliteBooks(db),
        alerts=SqliteAlerts(db),
        notifications=SqliteNotifications(db),
        signal_sources=SqliteSignalSources(db),
        conversations=SqliteConversations(db),
        contacts=SqliteContacts(db),
        link_codes=SqliteLinkCodes(db),
        messages=SqliteMessages(db),
        db=db,
    )
