"""In-memory trading repositories: accounts, orders (and their change log), fills, positions, risk books."""

from __future__ import annotations

from datetime import datetime

from core.accounts import Account
from core.errors import AlreadyExists
from core.orders import Fill, Order, OrderChange
from core.portfolio import Position
from core.ports import store as ports
from core.risk_book import RiskBook
from infra.stores.memory.base import Repo, Versioned, as_row, check_version, newest_first, versioned_row


class MemoryAccounts(Versioned[Account], ports.AccountRepository):
    noun, table = "Account", "accounts"

    def list(self) -> list[Account]:
        return self._select("accounts", lambda _: True, lambda account: account.id)


class MemoryOrders(Versioned[Order], ports.OrderRepository):
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
                and (before is None or newest_first(order) < before)
            )

        return self._select("orders", keep, newest_first, reverse=True, limit=limit)

    def list_open_for_symbol(self, symbol: str) -> list[Order]:
        return self._select("orders", lambda o: o.symbol == symbol and o.status.is_open, newest_first)

    def log_change(self, order: Order, time: datetime) -> None:
        with self._writing():
            seq = len(self.db.tables["order_changes"]) + 1  # entries are only ever appended (or undone)
            self._set("order_changes", seq, as_row(OrderChange(seq=seq, order=order, time=time)))

    def changes_since(self, symbol: str, cursor: int) -> list[OrderChange]:
        return self._select("order_changes", lambda c: c.order.symbol == symbol and c.seq > cursor, lambda c: c.seq)

    def last_change(self, symbol: str) -> int:
        """One sequence serves every symbol here (one lock orders all writes); each symbol's entries rise."""
        return max((c.seq for c in self.changes_since(symbol, 0)), default=0)


class MemoryFills(Repo, ports.FillRepository):
    def add(self, fill: Fill) -> None:
        row = as_row(fill)
        with self._writing():
            if fill.id in self.db.tables["fills"]:
                raise AlreadyExists(f"Fill {fill.id} is already recorded.", fill_id=fill.id)
            self._set("fills", fill.id, row)

    def list_for_account(self, account_id: str, *, since: datetime | None = None) -> list[Fill]:
        def keep(fill: Fill) -> bool:
            return fill.account_id == account_id and (since is None or fill.time >= since)

        return self._select("fills", keep, lambda fill: (fill.time, fill.sequence, fill.id))


class MemoryPositions(Repo, ports.PositionRepository):
    def get(self, account_id: str, symbol: str) -> Position | None:
        with self.db.lock:
            row = self.db.tables["positions"].get((account_id, symbol))
        return row.fresh() if row is not None else None

    def save(self, position: Position) -> Position:
        row = versioned_row(position, position.version + 1)
        key = (position.account_id, position.symbol)
        what = f"Position {position.account_id}/{position.symbol}"
        with self._writing():
            stored = self.db.tables["positions"].get(key)
            check_version(stored, position.version, what, create=position.version == 0)
            self._set("positions", key, row)
        return row.fresh()

    def list_for_account(self, account_id: str) -> list[Position]:
        return self._select("positions", lambda p: p.account_id == account_id, lambda p: p.symbol)


class MemoryBooks(Repo, ports.RiskBookRepository):
    def get(self, account_id: str) -> RiskBook:
        with self.db.lock:
            row = self.db.tables["books"].get(account_id)
        return row.fresh() if row is not None else RiskBook(account_id=account_id)

    def save(self, book: RiskBook) -> RiskBook:
        row = versioned_row(book, book.version + 1)
        with self._writing():
            stored = self.db.tables["books"].get(book.account_id)
            check_version(stored, book.version, f"Risk book {book.account_id}", create=book.version == 0)
            self._set("books", book.account_id, row)
        return row.fresh()
