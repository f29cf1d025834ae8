"""The machinery every in-memory repository shares: the tables and their one lock (``Db``), stored rows kept as
JSON text next to a parsed copy (``Row``), and the base repositories that write through a unit's undo log."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Generic, Protocol

from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, ParleyError
from infra.stores.codec import M, dump, load, versioned

MISSING: Any = object()


class Row(Generic[M]):
    """A stored record: its JSON text (what callers get copies of) and the parsed copy queries read."""

    __slots__ = ("record", "text")

    def __init__(self, record: M, text: str) -> None:
        self.record = record
        self.text = text

    def fresh(self) -> M:
        return type(self.record).model_validate_json(self.text)


def as_row(record: M) -> Row[M]:
    """``record`` as stored: normalised the way the other adapters' round trip does (times in UTC)."""
    stored = load(type(record), dump(record))
    return Row(stored, dump(stored))


def versioned_row(record: M, version: int) -> Row[M]:
    stored, _ = versioned(record, version)
    return Row(stored, dump(stored))


class Db:
    """The tables (dicts keyed like the other adapters' primary keys) and the one lock over them."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.unit_thread: int | None = None  # the thread whose unit holds the lock, if any
        self.tables: dict[str, dict[Any, Any]] = {
            name: {}
            for name in (
                "accounts",
                "orders",
                "fills",
                "positions",
                "quotes",
                "closes",
                "audit",
                "idempotency",
                "settings",
                "alerts",
                "turns",
                "alert_changes",
                "order_changes",
                "notifications",
                "signal_sources",
                "books",
                "contacts",
                "link_codes",
                "messages",
            )
        }


class UnitLog(Protocol):
    """What a repository needs of the unit of work it writes through (``unit.MemoryUnitOfWork``)."""

    def record(self, table: dict[Any, Any], key: Any) -> None: ...

    def fail(self, error: ParleyError) -> None: ...


class Repo:
    def __init__(self, db: Db, unit: UnitLog | None = None) -> None:
        self.db = db
        self.unit = unit

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the lock for one write; inside a unit a refused write dooms the unit."""
        with self.db.lock:
            try:
                yield
            except ParleyError as error:
                if self.unit is not None:
                    self.unit.fail(error)
                raise

    def _set(self, table: str, key: Any, row: Any) -> None:
        rows = self.db.tables[table]
        if self.unit is not None:
            self.unit.record(rows, key)
        rows[key] = row

    def _delete(self, table: str, key: Any) -> None:
        rows = self.db.tables[table]
        if self.unit is not None:
            self.unit.record(rows, key)
        del rows[key]

    def _select(
        self,
        table: str,
        keep: Callable[[Any], bool],
        order: Callable[[Any], Any],
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> list[Any]:
        """Fresh copies of the rows of ``table`` whose record ``keep`` accepts, sorted by ``order``."""
        with self.db.lock:
            rows = [row for row in self.db.tables[table].values() if keep(row.record)]
        rows.sort(key=lambda row: order(row.record), reverse=reverse)
        return [row.fresh() for row in rows[:limit]]


class Versioned(Repo, Generic[M]):
    """add / get / update of one versioned record per id, as accounts, orders and alerts share it."""

    noun: str
    table: str

    def _details(self, record_id: str) -> dict[str, str]:
        return {f"{self.noun.lower()}_id": record_id}

    def add(self, record: M) -> M:
        row = versioned_row(record, 1)
        with self._writing():
            if record.id in self.db.tables[self.table]:
                raise AlreadyExists(f"{self.noun} {record.id} already exists.", **self._details(record.id))
            self._set(self.table, record.id, row)
        return row.fresh()

    def get(self, record_id: str) -> M:
        with self.db.lock:
            row = self.db.tables[self.table].get(record_id)
        if row is None:
            raise NotFound(f"{self.noun} {record_id} not found.", **self._details(record_id))
        return row.fresh()

    def update(self, record: M) -> M:
        row = versioned_row(record, record.version + 1)
        with self._writing():
            check_version(self.db.tables[self.table].get(record.id), record.version, f"{self.noun} {record.id}")
            self._set(self.table, record.id, row)
        return row.fresh()


def check_version(row: Row[Any] | None, expected: int, what: str, *, create: bool = False) -> None:
    """ConcurrentUpdate unless the stored version is ``expected`` (with ``create``: unless nothing is stored)."""
    if create:
        if row is not None:
            raise ConcurrentUpdate(f"{what} was created by someone else; reload and retry.", expected=expected)
        return
    if row is None:
        raise ConcurrentUpdate(f"{what} does not exist; reload and retry.", expected=expected, missing=True)
    if row.record.version != expected:
        raise ConcurrentUpdate(f"{what} was changed by someone else; reload and retry.", expected=expected)


def newest_first(record: Any) -> tuple[datetime, str]:
    return record.created_at, record.id
