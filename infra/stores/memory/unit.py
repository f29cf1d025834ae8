"""The in-memory unit of work (writes applied under the store's lock with an undo log) and the store."""

from __future__ import annotations

import threading
from typing import Any

from core.errors import ParleyError
from core.ports import store as ports
from infra.stores.memory.base import MISSING, Db
from infra.stores.memory.market import MemoryAlerts, MemoryQuotes, MemorySignalSources
from infra.stores.memory.messaging import (
    MemoryContacts,
    MemoryConversations,
    MemoryLinkCodes,
    MemoryMessages,
    MemoryNotifications,
)
from infra.stores.memory.platform import MemoryAudit, MemoryIdempotency, MemorySettings
from infra.stores.memory.trading import MemoryAccounts, MemoryBooks, MemoryFills, MemoryOrders, MemoryPositions


class MemoryUnitOfWork(ports.UnitOfWork):
    """Writes applied under the store's lock with an undo log; rollback replays the log backwards."""

    def __init__(self, store: MemoryStore) -> None:
        self._db = store.db
        self._undo: list[tuple[dict[Any, Any], Any, Any]] = []
        self._state = "new"  # new -> open -> closed
        self._failure: ParleyError | None = None
        self.accounts = MemoryAccounts(self._db, self)
        self.orders = MemoryOrders(self._db, self)
        self.fills = MemoryFills(self._db, self)
        self.positions = MemoryPositions(self._db, self)
        self.quotes = MemoryQuotes(self._db, self)  # a put through the unit is undone with it
        self.audit = MemoryAudit(self._db, self)
        self.notifications = MemoryNotifications(self._db, self)
        self.settings = MemorySettings(self._db, self)
        self.alerts = MemoryAlerts(self._db, self)
        self.books = MemoryBooks(self._db, self)
        self.contacts = MemoryContacts(self._db, self)
        self.link_codes = MemoryLinkCodes(self._db, self)
        self.messages = MemoryMessages(self._db, self)

    def __enter__(self) -> MemoryUnitOfWork:
        if self._state != "new":
            raise RuntimeError("a unit of work is entered once")
        self._db.lock.acquire()
        if self._db.unit_thread is not None:  # only this thread can hold the lock with a unit open
            self._db.lock.release()
            raise RuntimeError("a unit of work is already open on this thread; units do not nest")
        self._db.unit_thread = threading.get_ident()
        self._state = "open"
        return self

    def record(self, table: dict[Any, Any], key: Any) -> None:
        """Remember ``table[key]`` as it is before the unit changes it. Called with the lock held."""
        if self._state != "open":
            raise RuntimeError("write through a unit of work outside `with store.unit() as uow:`")
        self._undo.append((table, key, table.get(key, MISSING)))

    def fail(self, error: ParleyError) -> None:
        """A write of the unit was refused: the unit can no longer commit, whoever catches the error."""
        if self._failure is None:
            self._failure = error

    def commit(self) -> None:
        if self._state != "open":
            return
        failure = self._failure
        self._end(keep=failure is None)
        if failure is not None:
            raise failure

    def rollback(self) -> None:
        if self._state == "open":
            self._end(keep=False)

    def _end(self, keep: bool) -> None:
        try:
            if not keep:
                for table, key, old in reversed(self._undo):
                    if old is MISSING:
                        table.pop(key, None)
                    else:
                        table[key] = old
        finally:
            self._undo.clear()
            self._state = "closed"
            self._db.unit_thread = None
            self._db.lock.release()


class MemoryStore(ports.Store):
    """Every repository over one set of dicts; ``MemoryStore()`` is a fresh, empty store."""

    def __init__(self) -> None:
        db = Db()
        super().__init__(
            accounts=MemoryAccounts(db),
            orders=MemoryOrders(db),
            fills=MemoryFills(db),
            positions=MemoryPositions(db),
            quotes=MemoryQuotes(db),
            audit=MemoryAudit(db),
            idempotency=MemoryIdempotency(db),
            settings=MemorySettings(db),
            books=MemoryBooks(db),
            alerts=MemoryAlerts(db),
            notifications=MemoryNotifications(db),
            signal_sources=MemorySignalSources(db),
            conversations=MemoryConversations(db),
            contacts=MemoryContacts(db),
            link_codes=MemoryLinkCodes(db),
            messages=MemoryMessages(db),
        )
        self.db = db

    def unit(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    def prices_and_settings(self, symbols: list[str]) -> ports.Prices:
        with self.db.lock:  # one consistent read, as a unit would see it
            return self.quotes.get_many(symbols), self.quotes.get_closes(symbols), self.settings.get()
