"""The trading repositories: accounts, orders (and their per-symbol change log), fills, positions and risk
books. Versioned records keep the optimistic concurrency described in ``core.ports.store``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from core.accounts import Account
from core.orders import Fill, Order, OrderChange
from core.portfolio import Position
from core.risk_book import RiskBook

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


class RiskBookRepository(ABC):
    """One versioned RiskBook per account (core.risk_book)."""

    @abstractmethod
    def get(self, account_id: str) -> RiskBook:
        """The stored book, or an empty one (version 0) if none was saved yet."""

    @abstractmethod
    def save(self, book: RiskBook) -> RiskBook:
        """Insert when ``version`` is 0, else update if the stored version matches; ConcurrentUpdate otherwise."""
