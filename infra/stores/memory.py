"""In-memory adapter for the storage ports: the store the unit tests of core and agent run on.

It keeps the contract of the SQLite and DynamoDB adapters (the same suite runs on all three). Each record is
held as the JSON text the other adapters store, next to a private parsed copy that only the queries look at;
callers always get a fresh record parsed from the text, so nothing they hold aliases what is stored.

One re-entrant lock guards everything. A unit of work takes it at ``__enter__`` and keeps it until commit or
rollback, so other threads (readers included) wait and never see half a unit; the unit applies its writes at
once and keeps an undo log, which rollback replays backwards. Writes through ``store.<repository>`` on the
thread that holds a unit go straight through and are not undone, as on DynamoDB.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Generic

from core.accounts import Account, SystemSettings
from core.alerts import Alert, AlertChange, AlertStatus
from core.audit import AuditRecord
from core.channels import Channel, Contact, LinkCode, MessageStatus, OutboundMessage
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, ParleyError
from core.market import Quote, SessionClose
from core.memory import ChatTurn
from core.notifications import Notification
from core.orders import Fill, Order, OrderChange
from core.portfolio import Position
from core.ports import store as ports
from core.risk_book import RiskBook
from core.signals import SignalSource
from infra.stores.codec import M, dump, load, versioned

_MISSING: Any = object()


class _Row(Generic[M]):
    """A stored record: its JSON text (what callers get copies of) and the parsed copy queries read."""

    __slots__ = ("record", "text")

    def __init__(self, record: M, text: str) -> None:
        self.record = record
        self.text = text

    def fresh(self) -> M:
        return type(self.record).model_validate_json(self.text)


def _row(record: M) -> _Row[M]:
    """``record`` as stored: normalised the way the other adapters' round trip does (times in UTC)."""
    stored = load(type(record), dump(record))
    return _Row(stored, dump(stored))


def _versioned_row(record: M, version: int) -> _Row[M]:
    stored, _ = versioned(record, version)
    return _Row(stored, dump(stored))


class _Db:
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
        self._undo.append((table, key, table.get(key, _MISSING)))

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
                    if old is _MISSING:
                        table.pop(key, None)
                    else:
                        table[key] = old
        finally:
            self._undo.clear()
            self._state = "closed"
            self._db.unit_thread = None
            self._db.lock.release()


class _Repo:
    def __init__(self, db: _Db, unit: MemoryUnitOfWork | None = None) -> None:
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


class _Versioned(_Repo, Generic[M]):
    """add / get / update of one versioned record per id, as accounts, orders and alerts share it."""

    noun: str
    table: str

    def _details(self, record_id: str) -> dict[str, str]:
        return {f"{self.noun.lower()}_id": record_id}

    def add(self, record: M) -> M:
        row = _versioned_row(record, 1)
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
        row = _versioned_row(record, record.version + 1)
        with self._writing():
            _check_version(self.db.tables[self.table].get(record.id), record.version, f"{self.noun} {record.id}")
            self._set(self.table, record.id, row)
        return row.fresh()


def _check_version(row: _Row[Any] | None, expected: int, what: str, *, create: bool = False) -> None:
    """ConcurrentUpdate unless the stored version is ``expected`` (with ``create``: unless nothing is stored)."""
    if create:
        if row is not None:
            raise ConcurrentUpdate(f"{what} was created by someone else; reload and retry.", expected=expected)
        return
    if row is None:
        raise ConcurrentUpdate(f"{what} does not exist; reload and retry.", expected=expected, missing=True)
    if row.record.version != expected:
        raise ConcurrentUpdate(f"{what} was changed by someone else; reload and retry.", expected=expected)


def _newest_first(record: Any) -> tuple[datetime, str]:
    return record.created_at, record.id


class MemoryAccounts(_Versioned[Account], ports.AccountRepository):
    noun, table = "Account", "accounts"

    def list(self) -> list[Account]:
        return self._select("accounts", lambda _: True, lambda account: account.id)


class MemoryOrders(_Versioned[Order], ports.OrderRepository):
    noun, table = "Order", "orders"

    def list_for_account(
        self, account_id: str, *, since: datetime | None = None, open_only: bool = False, limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[Order]:
        def keep(order: Order) -> bool:
            return (
                order.account_id == account_id
                and (since is None or order.created_at >= since)
                and (not open_only or order.status.is_open)
                and (before is None or _newest_first(order) < before)
            )

        return self._select("orders", keep, _newest_first, reverse=True, limit=limit)

    def list_open_for_symbol(self, symbol: str) -> list[Order]:
        return self._select("orders", lambda o: o.symbol == symbol and o.status.is_open, _newest_first)

    def log_change(self, order: Order, time: datetime) -> None:
        with self._writing():
            seq = len(self.db.tables["order_changes"]) + 1  # entries are only ever appended (or undone)
            self._set("order_changes", seq, _row(OrderChange(seq=seq, order=order, time=time)))

    def changes_since(self, symbol: str, cursor: int) -> list[OrderChange]:
        return self._select("order_changes", lambda c: c.order.symbol == symbol and c.seq > cursor, lambda c: c.seq)

    def last_change(self, symbol: str) -> int:
        """One sequence serves every symbol here (one lock orders all writes); each symbol's entries rise."""
        return max((c.seq for c in self.changes_since(symbol, 0)), default=0)


class MemoryFills(_Repo, ports.FillRepository):
    def add(self, fill: Fill) -> None:
        row = _row(fill)
        with self._writing():
            if fill.id in self.db.tables["fills"]:
                raise AlreadyExists(f"Fill {fill.id} is already recorded.", fill_id=fill.id)
            self._set("fills", fill.id, row)

    def list_for_account(self, account_id: str, *, since: datetime | None = None) -> list[Fill]:
        def keep(fill: Fill) -> bool:
            return fill.account_id == account_id and (since is None or fill.time >= since)

        return self._select("fills", keep, lambda fill: (fill.time, fill.sequence, fill.id))


class MemoryPositions(_Repo, ports.PositionRepository):
    def get(self, account_id: str, symbol: str) -> Position | None:
        with self.db.lock:
            row = self.db.tables["positions"].get((account_id, symbol))
        return row.fresh() if row is not None else None

    def save(self, position: Position) -> Position:
        row = _versioned_row(position, position.version + 1)
        key = (position.account_id, position.symbol)
        what = f"Position {position.account_id}/{position.symbol}"
        with self._writing():
            stored = self.db.tables["positions"].get(key)
            _check_version(stored, position.version, what, create=position.version == 0)
            self._set("positions", key, row)
        return row.fresh()

    def list_for_account(self, account_id: str) -> list[Position]:
        return self._select("positions", lambda p: p.account_id == account_id, lambda p: p.symbol)


class MemoryQuotes(_Repo, ports.QuoteRepository):
    def put(self, quote: Quote) -> bool:
        row = _row(quote)
        with self._writing():
            stored = self.db.tables["quotes"].get(quote.symbol)
            if stored is not None and stored.record.time >= row.record.time:
                return False
            self._set("quotes", quote.symbol, row)
        return True

    def get(self, symbol: str) -> Quote | None:
        with self.db.lock:
            row = self.db.tables["quotes"].get(symbol)
        return row.fresh() if row is not None else None

    def get_many(self, symbols: list[str]) -> dict[str, Quote]:
        with self.db.lock:
            rows = [row for symbol in set(symbols) if (row := self.db.tables["quotes"].get(symbol)) is not None]
        return {row.record.symbol: row.fresh() for row in rows}

    def put_close(self, close: SessionClose) -> None:
        row = _row(close)
        with self._writing():
            stored = self.db.tables["closes"].get(close.symbol)
            if stored is None or stored.record.at < row.record.at:
                self._set("closes", close.symbol, row)

    def get_closes(self, symbols: list[str]) -> dict[str, SessionClose]:
        with self.db.lock:
            rows = [row for symbol in set(symbols) if (row := self.db.tables["closes"].get(symbol)) is not None]
        return {row.record.symbol: row.fresh() for row in rows}


class MemoryAudit(_Repo, ports.AuditLog):
    def append(self, record: AuditRecord) -> None:
        row = _row(record)
        with self._writing():
            if record.id in self.db.tables["audit"]:
                raise AlreadyExists(f"Audit record {record.id} already exists.", record_id=record.id)
            self._set("audit", record.id, row)

    def list_for_account(self, account_id: str, *, limit: int | None = None) -> list[AuditRecord]:
        return self._select("audit", lambda a: a.account_id == account_id, lambda a: (a.time, a.id), limit=limit)


class MemoryIdempotency(_Repo, ports.IdempotencyStore):
    def claim(self, key: str, fingerprint: str, *, now: datetime, ttl_seconds: int) -> ports.IdempotencyRecord | None:
        expires_at = now + timedelta(seconds=ttl_seconds)
        row = _row(ports.IdempotencyRecord(key=key, fingerprint=fingerprint, expires_at=expires_at))
        with self._writing():
            live = self.db.tables["idempotency"].get(key)
            if live is not None and live.record.expires_at > now:
                return live.fresh()
            self._set("idempotency", key, row)
        return None

    def complete(self, key: str, result: dict[str, Any]) -> None:
        with self._writing():
            stored = self.db.tables["idempotency"].get(key)
            if stored is None:
                raise NotFound(f"No idempotency record for key {key!r}.", key=key)
            done = stored.fresh().model_copy(update={"status": ports.IdempotencyStatus.COMPLETED, "result": result})
            self._set("idempotency", key, _row(done))

    def release(self, key: str) -> None:
        with self._writing():
            if key in self.db.tables["idempotency"]:
                self._delete("idempotency", key)


class MemorySettings(_Repo, ports.SettingsRepository):
    def get(self) -> SystemSettings:
        with self.db.lock:
            row = self.db.tables["settings"].get("settings")
        return row.fresh() if row is not None else SystemSettings()

    def save(self, settings: SystemSettings) -> SystemSettings:
        row = _versioned_row(settings, settings.version + 1)
        with self._writing():
            stored = self.db.tables["settings"].get("settings")
            _check_version(stored, settings.version, "Settings", create=settings.version == 0)
            self._set("settings", "settings", row)
        return row.fresh()


class MemoryBooks(_Repo, ports.RiskBookRepository):
    def get(self, account_id: str) -> RiskBook:
        with self.db.lock:
            row = self.db.tables["books"].get(account_id)
        return row.fresh() if row is not None else RiskBook(account_id=account_id)

    def save(self, book: RiskBook) -> RiskBook:
        row = _versioned_row(book, book.version + 1)
        with self._writing():
            stored = self.db.tables["books"].get(book.account_id)
            _check_version(stored, book.version, f"Risk book {book.account_id}", create=book.version == 0)
            self._set("books", book.account_id, row)
        return row.fresh()


class MemoryAlerts(_Versioned[Alert], ports.AlertRepository):
    noun, table = "Alert", "alerts"

    def delete(self, alert_id: str) -> None:
        with self._writing():
            if alert_id not in self.db.tables["alerts"]:
                raise NotFound(f"Alert {alert_id} not found.", alert_id=alert_id)
            self._delete("alerts", alert_id)

    def list_for_account(
        self, account_id: str, *, limit: int | None = None, before: tuple[datetime, str] | None = None,
        cancelled: bool = True,
    ) -> list[Alert]:
        def keep(alert: Alert) -> bool:
            return (alert.account_id == account_id and (cancelled or alert.status is not AlertStatus.CANCELLED)
                    and (before is None or _newest_first(alert) < before))

        return self._select("alerts", keep, _newest_first, reverse=True, limit=limit)

    def list_active_for_symbol(self, symbol: str) -> list[Alert]:
        def keep(alert: Alert) -> bool:
            return alert.symbol == symbol and alert.status is AlertStatus.ACTIVE

        return self._select("alerts", keep, _newest_first)

    def log_change(self, alert: Alert, time: datetime) -> None:
        with self._writing():
            seq = len(self.db.tables["alert_changes"]) + 1  # entries are only ever appended (or undone)
            self._set("alert_changes", seq, _row(AlertChange(seq=seq, alert=alert, time=time)))

    def changes_since(self, cursor: int) -> list[AlertChange]:
        return self._select("alert_changes", lambda c: c.seq > cursor, lambda c: c.seq)

    def last_change(self) -> int:
        with self.db.lock:
            return len(self.db.tables["alert_changes"])


class MemoryNotifications(_Repo, ports.NotificationRepository):
    def add(self, notification: Notification) -> None:
        row = _row(notification)
        with self._writing():
            if notification.id in self.db.tables["notifications"]:
                raise AlreadyExists(f"Notification {notification.id} exists.", notification_id=notification.id)
            self._set("notifications", notification.id, row)

    def get(self, notification_id: str) -> Notification | None:
        with self.db.lock:
            row = self.db.tables["notifications"].get(notification_id)
        return row.fresh() if row is not None else None

    def list_for_account(
        self, account_id: str, *, limit: int = 50, before: tuple[datetime, str] | None = None
    ) -> list[Notification]:
        def keep(notification: Notification) -> bool:
            return notification.account_id == account_id and (before is None or _newest_first(notification) < before)

        return self._select("notifications", keep, _newest_first, reverse=True, limit=limit)

    def list_unsent(self, *, limit: int = 100) -> list[Notification]:
        return self._select("notifications", lambda n: n.sent_at is None, _newest_first, limit=limit)

    def mark_sent(self, notification: Notification, at: datetime) -> None:
        with self._writing():
            stored = self.db.tables["notifications"].get(notification.id)
            if stored is not None and stored.record.sent_at is None:
                self._set("notifications", notification.id, _row(stored.fresh().model_copy(update={"sent_at": at})))


class MemorySignalSources(_Repo, ports.SignalSourceRepository):
    def add(self, source: SignalSource) -> SignalSource:
        row = _row(source)
        with self._writing():
            if source.id in self.db.tables["signal_sources"]:
                raise AlreadyExists(f"Signal source {source.id} exists.", source_id=source.id)
            self._set("signal_sources", source.id, row)
        return row.fresh()

    def get(self, source_id: str) -> SignalSource | None:
        with self.db.lock:
            row = self.db.tables["signal_sources"].get(source_id)
        return row.fresh() if row is not None else None

    def list_for_account(self, account_id: str) -> list[SignalSource]:
        with self.db.lock:
            rows = [row.fresh() for row in self.db.tables["signal_sources"].values()]
        return sorted((s for s in rows if s.account_id == account_id), key=lambda s: (s.created_at, s.id))


class MemoryConversations(_Repo, ports.ConversationRepository):
    def append(self, turn: ChatTurn) -> None:
        row = _row(turn)
        with self._writing():
            turns = self.db.tables["turns"]
            if turn.id in turns:
                return
            # Like SQLite: the thread's turns already expired when this one was said are dropped (and their ids
            # freed), so memory does not grow without bound.
            thread = (turn.account_id, turn.thread)
            for old_id, old in list(turns.items()):
                if (old.record.account_id, old.record.thread) == thread and old.record.expires_at <= turn.time:
                    del turns[old_id]
            turns[turn.id] = row

    def append_many(self, turns: list[ChatTurn]) -> None:
        with self.db.lock:
            for turn in turns:
                self.append(turn)

    def recent(self, account_id: str, thread: str, *, limit: int, now: datetime) -> list[ChatTurn]:
        if limit <= 0:
            return []

        def keep(turn: ChatTurn) -> bool:
            return turn.account_id == account_id and turn.thread == thread and turn.expires_at > now

        return self._select("turns", keep, lambda turn: (turn.time, turn.id), reverse=True, limit=limit)[::-1]


class MemoryContacts(_Repo, ports.ContactRepository):
    def get(self, channel: Channel, address: str) -> Contact | None:
        with self.db.lock:
            row = self.db.tables["contacts"].get((channel, address))
        return row.fresh() if row is not None else None

    def save(self, contact: Contact) -> Contact:
        row = _versioned_row(contact, contact.version + 1)
        key = (contact.channel, contact.address)
        with self._writing():
            stored = self.db.tables["contacts"].get(key)
            _check_version(stored, contact.version, f"Contact {contact.channel}:{contact.address}",
                           create=contact.version == 0)
            self._set("contacts", key, row)
        return row.fresh()

    def list_for_account(self, account_id: str) -> list[Contact]:
        return self._select("contacts", lambda c: c.account_id == account_id, lambda c: (c.channel, c.address))


class MemoryLinkCodes(_Repo, ports.LinkCodeRepository):
    def add(self, code: LinkCode, *, now: datetime) -> None:
        with self._writing():
            stored = self.db.tables["link_codes"].get(code.code)
            if stored is not None and stored.record.expires_at > now:
                raise AlreadyExists(f"Link code {code.code} exists.", code=code.code)
            self._set("link_codes", code.code, _row(code))

    def take(self, code: str, *, now: datetime) -> LinkCode | None:
        with self._writing():
            stored = self.db.tables["link_codes"].get(code)
            if stored is None:
                return None
            self._delete("link_codes", code)
        taken = stored.fresh()
        return taken if taken.expires_at > now else None


class MemoryMessages(_Repo, ports.MessageRepository):
    def add(self, message: OutboundMessage) -> None:
        with self._writing():
            if message.id in self.db.tables["messages"]:
                raise AlreadyExists(f"Message {message.id} exists.", message_id=message.id)
            self._set("messages", message.id, _row(message))

    def get(self, message_id: str) -> OutboundMessage | None:
        with self.db.lock:
            row = self.db.tables["messages"].get(message_id)
        return row.fresh() if row is not None else None

    def save(self, message: OutboundMessage) -> None:
        with self._writing():
            if message.id not in self.db.tables["messages"]:
                raise NotFound(f"Message {message.id} was never recorded.", message_id=message.id)
            self._set("messages", message.id, _row(message))

    def due(self, *, now: datetime, limit: int = 100) -> list[OutboundMessage]:
        def keep(message: OutboundMessage) -> bool:
            return message.status is MessageStatus.HELD and message.held_until is not None and message.held_until <= now

        return self._select("messages", keep, lambda m: (m.held_until, m.id), limit=limit)

    def recent(self, *, now: datetime, limit: int = 50) -> list[OutboundMessage]:
        return self._select("messages", lambda m: m.created_at <= now, lambda m: (m.created_at, m.id), reverse=True,
                            limit=limit)


class MemoryStore(ports.Store):
    """Every repository over one set of dicts; ``MemoryStore()`` is a fresh, empty store."""

    def __init__(self) -> None:
        db = _Db()
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
