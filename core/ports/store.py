"""Storage ports: small repositories and a unit of work, which every adapter (SQLite, DynamoDB, memory)
implements with one contract.

Conventions every adapter keeps (the contract suite in tests/integration checks them):
- Records are pydantic models; adapters return fresh copies, never the caller's object.
- Versioned records (Account, Order, Position, SystemSettings) use optimistic concurrency: ``add`` stores
  version 1; ``update``/``save`` succeed only if the stored version equals the given one, store
  version + 1 and return the stored copy; otherwise they raise ConcurrentUpdate.
- ``add`` of an existing key raises AlreadyExists; ``get`` of a missing key raises NotFound unless the
  method says it returns None.
- Backend failures are translated into core.errors (StoreError) at the adapter, ``from`` the cause.
- A write through ``store.<repository>`` commits on its own. Writes through a ``UnitOfWork`` commit
  together at ``commit()`` or not at all (see UnitOfWork).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from core.accounts import Account, SystemSettings
from core.alerts import Alert, AlertChange
from core.audit import AuditRecord
from core.channels import Channel, Contact, LinkCode, OutboundMessage
from core.errors import StoreError
from core.market import Quote, SessionClose
from core.memory import ChatTurn
from core.notifications import Notification
from core.orders import Fill, Order, OrderChange
from core.portfolio import Position
from core.risk_book import RiskBook
from core.signals import SignalSource

# How long the change logs (alerts, orders per symbol) keep an entry: DynamoDB expires it by TTL, SQLite prunes it.
# A consumer that has not read a log for about this long may have missed entries (core/usecases/resting.py).
CHANGE_LOG_KEPT = timedelta(days=1)


class AccountRepository(ABC):
    @abstractmethod
    def add(self, account: Account) -> Account: ...

    @abstractmethod
    def get(self, account_id: str) -> Account: ...

    @abstractmethod
    def update(self, account: Account) -> Account: ...

    @abstractmethod
    def list(self) -> list[Account]: ...


class OrderRepository(ABC):
    @abstractmethod
    def add(self, order: Order) -> Order: ...

    @abstractmethod
    def get(self, order_id: str) -> Order: ...

    @abstractmethod
    def update(self, order: Order) -> Order: ...

    @abstractmethod
    def list_for_account(
        self, account_id: str, *, since: datetime | None = None, open_only: bool = False, limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[Order]:
        """Newest first. ``since`` keeps orders created at or after it; ``open_only`` keeps working ones;
        ``before`` (created_at, id) keeps the ones listed after that order, so a page is read, not the history."""

    @abstractmethod
    def list_open_for_symbol(self, symbol: str) -> list[Order]:
        """Working orders (accepted, partially_filled) on ``symbol`` across accounts, oldest first."""

    @abstractmethod
    def log_change(self, order: Order, time: datetime) -> None:
        """Append ``order`` (as a broker decision or a fill just left it) to its symbol's change log, under a
        sequence number above every earlier one of that symbol. In a unit it commits with the unit, so each
        symbol's log is in commit order. The log is kept per symbol so that order writes on different symbols
        never contend for one log head."""

    @abstractmethod
    def changes_since(self, symbol: str, cursor: int) -> list[OrderChange]:
        """``symbol``'s log entries with a sequence number above ``cursor``, oldest first (entries expire after
        a day)."""

    @abstractmethod
    def last_change(self, symbol: str) -> int:
        """The newest sequence number in ``symbol``'s log (0 if none)."""


class FillRepository(ABC):
    @abstractmethod
    def add(self, fill: Fill) -> None:
        """Record a fill; AlreadyExists (now or at commit) if its id is already recorded."""

    @abstractmethod
    def list_for_account(self, account_id: str, *, since: datetime | None = None) -> list[Fill]:
        """Oldest first; ``since`` keeps fills at or after it."""


class PositionRepository(ABC):
    @abstractmethod
    def get(self, account_id: str, symbol: str) -> Position | None: ...

    @abstractmethod
    def save(self, position: Position) -> Position:
        """Insert when ``version`` is 0, else update if the stored version matches; ConcurrentUpdate otherwise."""

    @abstractmethod
    def list_for_account(self, account_id: str) -> list[Position]: ...


class QuoteRepository(ABC):
    @abstractmethod
    def put(self, quote: Quote) -> bool:
        """Keep ``quote`` unless a quote with a later or equal time is stored; True if it was kept."""

    @abstractmethod
    def get(self, symbol: str) -> Quote | None: ...

    @abstractmethod
    def get_many(self, symbols: list[str]) -> dict[str, Quote]: ...

    @abstractmethod
    def put_close(self, close: SessionClose) -> None:
        """Keep ``close`` as its symbol's session-close record unless one with a later or equal close is
        stored. Written through the store, not a unit (the day-order sweep is its one writer)."""

    @abstractmethod
    def get_closes(self, symbols: list[str]) -> dict[str, SessionClose]: ...

    def put_many(self, quotes: list[Quote]) -> tuple[set[str], set[str]]:
        """``put`` each quote (one per symbol): (the symbols whose quote was kept, those the store failed to
        write). Each keeps its own condition; adapters may write them in one round trip (SQLite: one
        transaction, kept or failed as a whole)."""
        kept, failed = set(), set()
        for quote in quotes:
            try:
                if self.put(quote):
                    kept.add(quote.symbol)
            except StoreError:
                failed.add(quote.symbol)
        return kept, failed


# What the risk gate reads of the market: quotes, session closes (by symbol) and the platform settings.
Prices = tuple[dict[str, Quote], dict[str, SessionClose], SystemSettings]


class AuditLog(ABC):
    """Append-only: there is no update and no delete."""

    @abstractmethod
    def append(self, record: AuditRecord) -> None: ...

    @abstractmethod
    def list_for_account(self, account_id: str, *, limit: int | None = None) -> list[AuditRecord]:
        """Oldest first."""


class IdempotencyStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class IdempotencyRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    key: str
    fingerprint: str
    status: IdempotencyStatus = IdempotencyStatus.IN_PROGRESS
    result: dict[str, Any] | None = None
    expires_at: AwareDatetime


class IdempotencyStore(ABC):
    """Dedup records with an expiry (DynamoDB TTL in AWS): webhook update ids, stream record ids, keys."""

    @abstractmethod
    def claim(self, key: str, fingerprint: str, *, now: datetime, ttl_seconds: int) -> IdempotencyRecord | None:
        """Atomically create an in-progress record. None if claimed now; the live record if one exists.

        A record whose ``expires_at`` is at or before ``now`` counts as absent and is replaced.
        """

    @abstractmethod
    def complete(self, key: str, result: dict[str, Any]) -> None:
        """Mark a claimed record completed with ``result``; NotFound if there is no record."""

    @abstractmethod
    def release(self, key: str) -> None:
        """Drop a claim (the work failed and may be retried). Missing keys are ignored."""


class SettingsRepository(ABC):
    @abstractmethod
    def get(self) -> SystemSettings:
        """The stored settings, or defaults (version 0) if none were saved yet."""

    @abstractmethod
    def save(self, settings: SystemSettings) -> SystemSettings: ...


class RiskBookRepository(ABC):
    """One versioned RiskBook per account (core.risk_book)."""

    @abstractmethod
    def get(self, account_id: str) -> RiskBook:
        """The stored book, or an empty one (version 0) if none was saved yet."""

    @abstractmethod
    def save(self, book: RiskBook) -> RiskBook:
        """Insert when ``version`` is 0, else update if the stored version matches; ConcurrentUpdate otherwise."""


class AlertRepository(ABC):
    """Versioned like orders. Active alerts are indexed by symbol for evaluation on each quote."""

    @abstractmethod
    def add(self, alert: Alert) -> Alert: ...

    @abstractmethod
    def get(self, alert_id: str) -> Alert: ...

    @abstractmethod
    def update(self, alert: Alert) -> Alert: ...

    @abstractmethod
    def delete(self, alert_id: str) -> None:
        """Remove an alert; NotFound if there is none."""

    @abstractmethod
    def list_for_account(
        self, account_id: str, *, limit: int | None = None, before: tuple[datetime, str] | None = None,
        cancelled: bool = True,
    ) -> list[Alert]:
        """Newest first, active and triggered alike (cancelled ones unless ``cancelled`` is False); ``before``
        (created_at, id) keeps the ones listed after that alert and ``limit`` stops the read at a page."""

    @abstractmethod
    def list_active_for_symbol(self, symbol: str) -> list[Alert]:
        """Active alerts on ``symbol`` across accounts, oldest first."""

    @abstractmethod
    def log_change(self, alert: Alert, time: datetime) -> None:
        """Append ``alert`` (as just added, or as it left the active set) to the change log, under the next
        sequence number. In a unit it commits with the unit, so the log is in commit order with no gaps."""

    @abstractmethod
    def changes_since(self, cursor: int) -> list[AlertChange]:
        """Log entries with a sequence number above ``cursor``, oldest first (entries expire after a day)."""

    @abstractmethod
    def last_change(self) -> int:
        """The newest sequence number in the log (0 if none)."""


class NotificationRepository(ABC):
    """The notification outbox: written in the unit of the event that causes it, relayed to the notify queue."""

    @abstractmethod
    def add(self, notification: Notification) -> None:
        """Store a notification; AlreadyExists (now or at commit) if its id is taken: the event was seen."""

    @abstractmethod
    def get(self, notification_id: str) -> Notification | None: ...

    @abstractmethod
    def list_for_account(
        self, account_id: str, *, limit: int = 50, before: tuple[datetime, str] | None = None
    ) -> list[Notification]:
        """The account's notifications, newest first; ``before`` (created_at, id) keeps those listed after it."""

    @abstractmethod
    def list_unsent(self, *, limit: int = 100) -> list[Notification]:
        """Notifications the relay has not yet put on the queue, oldest first."""

    @abstractmethod
    def mark_sent(self, notification: Notification, at: datetime) -> None:
        """Record that ``notification`` is on the queue; it leaves the unsent list."""


class SignalSourceRepository(ABC):
    """Systems allowed to send signals to an account's webhook (TradingView, a risk engine)."""

    @abstractmethod
    def add(self, source: SignalSource) -> SignalSource:
        """AlreadyExists if the id is taken."""

    @abstractmethod
    def get(self, source_id: str) -> SignalSource | None: ...

    @abstractmethod
    def list_for_account(self, account_id: str) -> list[SignalSource]:
        """The account's sources, oldest first (counted against its max_signal_sources)."""


class ConversationRepository(ABC):
    """Chat turns per (account, thread). Expired turns are never returned (DynamoDB TTL removes them)."""

    @abstractmethod
    def append(self, turn: ChatTurn) -> None:
        """Store a turn; a turn id already stored is ignored."""

    def append_many(self, turns: list[ChatTurn]) -> None:
        """Store several turns (a question and its answer); adapters may do it in one round trip."""
        for turn in turns:
            self.append(turn)

    @abstractmethod
    def recent(self, account_id: str, thread: str, *, limit: int, now: datetime) -> list[ChatTurn]:
        """The last ``limit`` unexpired turns of the thread, oldest first."""


class ContactRepository(ABC):
    """Senders on the messenger channels, keyed by (channel, address); versioned like positions."""

    @abstractmethod
    def get(self, channel: Channel, address: str) -> Contact | None: ...

    @abstractmethod
    def save(self, contact: Contact) -> Contact:
        """Insert when ``version`` is 0, else update if the stored version matches; ConcurrentUpdate otherwise."""

    @abstractmethod
    def list_for_account(self, account_id: str) -> list[Contact]:
        """The contacts linked to the account, by channel then address."""


class LinkCodeRepository(ABC):
    """One-time codes that link a sender to an account."""

    @abstractmethod
    def add(self, code: LinkCode, *, now: datetime) -> None:
        """AlreadyExists if the code is taken and unexpired at ``now``."""

    @abstractmethod
    def take(self, code: str, *, now: datetime) -> LinkCode | None:
        """Remove and return the code if it exists and has not expired; None otherwise. Atomic: two takers
        of one code never both get it."""


class MessageRepository(ABC):
    """Every outbound message, recorded before it is sent (the local outbox, and delivery status in AWS)."""

    @abstractmethod
    def add(self, message: OutboundMessage) -> None:
        """AlreadyExists if the id is taken: the message was already recorded (and maybe sent)."""

    @abstractmethod
    def get(self, message_id: str) -> OutboundMessage | None: ...

    @abstractmethod
    def save(self, message: OutboundMessage) -> None:
        """Overwrite a recorded message (its status moved on); NotFound if it was never added."""

    @abstractmethod
    def due(self, *, now: datetime, limit: int = 100) -> list[OutboundMessage]:
        """Held messages whose ``held_until`` is at or before ``now``, soonest first."""

    @abstractmethod
    def recent(self, *, now: datetime, limit: int = 50) -> list[OutboundMessage]:
        """The newest messages created at or before ``now``, newest first (DynamoDB looks a week back)."""


class UnitOfWork(ABC):
    """The repositories of one use case, whose writes commit together or not at all.

    ``with store.unit() as uow: ...; uow.commit()``: leaving the block without ``commit()``, or by an
    exception, discards every write made through ``uow``. Inside the unit ``get`` sees the unit's own
    writes, but list queries need not (DynamoDB holds writes back until commit), so a use case never
    re-queries what it has just written. A conflict (a stored version moved on, a key already taken)
    raises ConcurrentUpdate or AlreadyExists at the write or at ``commit()``, as the adapter can tell;
    either way nothing of the unit is kept. Units do not nest. Idempotency claims and conversation
    turns are not part of a unit: each of their writes is atomic on its own. The messaging repositories
    (contacts, link codes, messages, notifications) are, like the trading ones: a link code taken in a unit
    is taken only if the unit commits, and a taker outside the unit never gets it as well. A quote put through
    ``uow.quotes`` joins the unit (it commits with the effects the quote caused, or neither does: the
    stream path relies on it); ``store.quotes.put`` stands on its own.
    """

    accounts: AccountRepository
    orders: OrderRepository
    fills: FillRepository
    positions: PositionRepository
    quotes: QuoteRepository
    audit: AuditLog
    settings: SettingsRepository
    alerts: AlertRepository
    notifications: NotificationRepository
    books: RiskBookRepository
    contacts: ContactRepository
    link_codes: LinkCodeRepository
    messages: MessageRepository

    def prices_and_settings(self, symbols: list[str]) -> Prices:
        """The latest quotes and session closes of ``symbols`` and the platform settings; one round trip
        where the backend can batch them (DynamoDB BatchGetItem)."""
        return self.quotes.get_many(symbols), self.quotes.get_closes(symbols), self.settings.get()

    @abstractmethod
    def commit(self) -> None:
        """Make every write of the unit visible at once; after a failure nothing of it is."""

    @abstractmethod
    def rollback(self) -> None:
        """Discard the unit's writes (nothing after a commit)."""

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()


@dataclass
class Store:
    """Every repository of one backend, handed around as one object, and the units of work over them."""

    accounts: AccountRepository
    orders: OrderRepository
    fills: FillRepository
    positions: PositionRepository
    quotes: QuoteRepository
    audit: AuditLog
    idempotency: IdempotencyStore
    settings: SettingsRepository
    alerts: AlertRepository
    notifications: NotificationRepository
    signal_sources: SignalSourceRepository
    conversations: ConversationRepository
    books: RiskBookRepository
    contacts: ContactRepository
    link_codes: LinkCodeRepository
    messages: MessageRepository

    def unit(self) -> UnitOfWork:
        """A new unit of work over this backend (adapters override)."""
        raise NotImplementedError

    def prices_and_settings(self, symbols: list[str]) -> Prices:
        return self.quotes.get_many(symbols), self.quotes.get_closes(symbols), self.settings.get()

    def close(self) -> None:  # adapters that hold connections override via their own Store subclass
        return None
