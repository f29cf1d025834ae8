"""The market repositories: the latest quote and session close per symbol, price alerts (and their change log)
and the signal sources allowed to send orders to an account."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from core.accounts import SystemSettings
from core.alerts import Alert, AlertChange
from core.errors import StoreError
from core.market import Quote, SessionClose
from core.signals import SignalSource


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
