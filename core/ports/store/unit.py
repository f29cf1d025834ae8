"""The Store and the UnitOfWork: every repository of one backend, and the units of work over them whose
writes commit together or not at all."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from core.ports.store.market import AlertRepository, Prices, QuoteRepository, SignalSourceRepository
from core.ports.store.messaging import (
    ContactRepository,
    ConversationRepository,
    LinkCodeRepository,
    MessageRepository,
    NotificationRepository,
)
from core.ports.store.platform import AuditLog, IdempotencyStore, SettingsRepository
from core.ports.store.trading import (
    AccountRepository,
    FillRepository,
    OrderRepository,
    PositionRepository,
    RiskBookRepository,
)


class _ReadsPrices:
    """What the risk gate reads of the market, for a unit and for the store alike (adapters may batch it)."""

    quotes: QuoteRepository
    settings: SettingsRepository

    def prices_and_settings(self, symbols: list[str]) -> Prices:
        """The latest quotes and session closes of ``symbols`` and the platform settings; one round trip
        where the backend can batch them (DynamoDB BatchGetItem)."""
        return self.quotes.get_many(symbols), self.quotes.get_closes(symbols), self.settings.get()


class UnitOfWork(_ReadsPrices, ABC):
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
class Store(_ReadsPrices):
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

    def close(self) -> None:  # adapters that hold connections override via their own Store subclass
        return None
