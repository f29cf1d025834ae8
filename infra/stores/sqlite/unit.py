"""The SQLite unit of work (one BEGIN IMMEDIATE transaction on the thread's connection), the store, and
``open_sqlite_store``, which creates the file and every group's tables."""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import StoreError
from core.ports import store as ports
from infra.private import private_file, private_folder
from infra.stores.sqlite.base import Db
from infra.stores.sqlite.market import MARKET_SCHEMA, SqliteAlerts, SqliteQuotes, SqliteSignalSources
from infra.stores.sqlite.messaging import (
    MESSAGING_SCHEMA,
    SqliteContacts,
    SqliteConversations,
    SqliteLinkCodes,
    SqliteMessages,
    SqliteNotifications,
)
from infra.stores.sqlite.platform import PLATFORM_SCHEMA, SqliteAudit, SqliteIdempotency, SqliteSettings
from infra.stores.sqlite.trading import (
    TRADING_SCHEMA,
    SqliteAccounts,
    SqliteBooks,
    SqliteFills,
    SqliteOrders,
    SqlitePositions,
)


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

    db: Db = field(repr=False, kw_only=True)

    def unit(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self)

    def close(self) -> None:
        self.db.close()


SCHEMA = TRADING_SCHEMA + MARKET_SCHEMA + MESSAGING_SCHEMA + PLATFORM_SCHEMA


def open_sqlite_store(path: str) -> SqliteStore:
    """Open (creating if needed) the database at ``path``, with its parent folders and schema."""
    file = Path(path).expanduser()
    private_folder(file.parent)
    # SQLite gives the -wal and -shm files the database file's permissions: owner-only from the start.
    for own in (file, file.with_name(f"{file.name}-wal"), file.with_name(f"{file.name}-shm")):
        if own is file or own.exists():
            private_file(own)
    db = Db(str(file))
    try:
        db.conn().executescript(f"BEGIN IMMEDIATE;\n{SCHEMA}\nCOMMIT;")
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
