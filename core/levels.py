"""The shape both stream indexes share (alerts in core/alert_index.py, resting orders in core/order_index.py):
per symbol, records sorted by the price level that wakes them, so a batch's low and high find the ones they
reach by bisection; and a copy of the store's records kept current by its change log.

``Levels`` is one sorted list of levels. ``LoggedIndex`` holds one book per symbol, loads a symbol the first
time a batch brings it, and applies change-log entries (``seq``, the record as it now is, ``time``) past its
``cursor``; entries for symbols not loaded yet are kept a while, because a symbol's load (an index query) may
lag the log (a DynamoDB GSI is eventually consistent).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

TAIL = 256  # log entries a cold index re-applies after its first loads (a load's read may lag the log)


class Levels:
    """(level, id) pairs in ascending order; the levels list alone is what bisect searches."""

    __slots__ = ("ids", "levels")

    def __init__(self) -> None:
        self.levels: list[Decimal] = []
        self.ids: list[str] = []

    def add(self, level: Decimal, record_id: str) -> None:
        at = bisect_right(self.levels, level)
        self.levels.insert(at, level)
        self.ids.insert(at, record_id)

    def remove(self, level: Decimal, record_id: str) -> None:
        at = bisect_left(self.levels, level)
        while at < len(self.levels) and self.levels[at] == level:
            if self.ids[at] == record_id:
                del self.levels[at]
                del self.ids[at]
                return
            at += 1

    def up_to(self, value: Decimal) -> list[str]:
        """Ids whose level is at or below ``value``."""
        return self.ids[: bisect_right(self.levels, value)]

    def from_(self, value: Decimal) -> list[str]:
        """Ids whose level is at or above ``value``."""
        return self.ids[bisect_left(self.levels, value) :]

    def __len__(self) -> int:
        return len(self.levels)


class Record(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def symbol(self) -> str: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=Record)


class Book(ABC, Generic[R]):
    """One symbol's records, as their kind arranges them."""

    @abstractmethod
    def add(self, record: R) -> None: ...

    @abstractmethod
    def remove(self, record_id: str) -> None: ...

    @abstractmethod
    def get(self, record_id: str) -> R | None: ...

    @abstractmethod
    def __len__(self) -> int: ...


B = TypeVar("B", bound=Book)  # type: ignore[type-arg]


class LoggedIndex(ABC, Generic[R, B]):
    """Records by symbol. ``cursor`` is the last change-log entry applied (None before the first)."""

    RECENT = timedelta(minutes=5)  # change-log entries of symbols not loaded yet, kept for their load

    def __init__(self) -> None:
        self._symbols: dict[str, B] = {}
        self.cursor: int | None = None
        self._recent: deque[tuple[int, datetime, R]] = deque()

    @abstractmethod
    def _book(self) -> B:
        """A new, empty book for one symbol."""

    @abstractmethod
    def _keeps(self, record: R) -> bool:
        """Whether the index holds ``record`` as it now is (an alert still active, an order still working)."""

    def is_loaded(self, symbol: str) -> bool:
        return symbol in self._symbols

    def load(self, symbol: str, records: Iterable[R]) -> None:
        """Take ``records`` (the store's live records of ``symbol``) as the symbol's set, then re-apply the
        recent log entries for it."""
        book = self._symbols.setdefault(symbol, self._book())
        for record in records:
            self._apply(book, record)
        for _, _, record in self._recent:
            if record.symbol == symbol:
                self._apply(book, record)

    def apply_log(self, changes: Iterable[tuple[int, datetime, R]], now: datetime) -> None:
        """Apply change-log entries (seq, time, record) in order and move the cursor past them."""
        for seq, time, record in changes:
            self._recent.append((seq, time, record))
            book = self._symbols.get(record.symbol)
            if book is not None:
                self._apply(book, record)
            self._advance(seq, record)
        while self._recent and self._recent[0][1] < now - self.RECENT:
            self._recent.popleft()

    def _advance(self, seq: int, record: R) -> None:
        """Move the cursor past entry ``seq`` (of ``record``), applied."""
        self.cursor = seq if self.cursor is None else max(self.cursor, seq)

    def update(self, record: R) -> None:
        """Replace the copy of a record with the stored one just read (or written)."""
        book = self._symbols.get(record.symbol)
        if book is not None:
            self._apply(book, record)

    def forget(self, record: R) -> None:
        """Drop the copy of a record the store no longer has."""
        book = self._symbols.get(record.symbol)
        if book is not None:
            book.remove(record.id)

    def _apply(self, book: B, record: R) -> None:
        """Take ``record`` unless the book holds a later version of it (a log entry re-applied after a load)."""
        held = book.get(record.id)
        if held is not None and held.version > record.version:
            return
        book.remove(record.id)
        if self._keeps(record):
            book.add(record)

    def __len__(self) -> int:
        return sum(len(book) for book in self._symbols.values())
