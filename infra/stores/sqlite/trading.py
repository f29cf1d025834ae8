"""SQLite trading repositories: accounts, orders (and their change log), fills, positions, risk books,
and their tables."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from core.accounts import Account
from core.errors import AlreadyExists
from core.orders import Fill, Order, OrderChange
from core.portfolio import Position
from core.ports import store as ports
from core.risk_book import RiskBook
from infra.stores.codec import dump, from_key_time, key_time, load, versioned
from infra.stores.sqlite.base import Repo, Versioned

TRADING_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, symbol TEXT NOT NULL,
    is_open INTEGER NOT NULL, created_at TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account_id, created_at, id);
CREATE INDEX IF NOT EXISTS orders_open_by_symbol ON orders (symbol, created_at, id) WHERE is_open = 1;
CREATE TABLE IF NOT EXISTS fills (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, time TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fills_by_account ON fills (account_id, time, id);
CREATE TABLE IF NOT EXISTS positions (account_id TEXT NOT NULL, symbol TEXT NOT NULL,
    version INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account_id, symbol));
CREATE TABLE IF NOT EXISTS books (account_id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS order_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS order_changes_by_time ON order_changes (time);
CREATE INDEX IF NOT EXISTS order_changes_by_symbol ON order_changes (json_extract(data, '$.symbol'), seq);
"""


class SqliteAccounts(Versioned[Account], ports.AccountRepository):
    model, noun, table = Account, "Account", "accounts"

    def list(self) -> list[Account]:
        return self.db.many(Account, "SELECT data FROM accounts ORDER BY id")


class SqliteOrders(Versioned[Order], ports.OrderRepository):
    model, noun, table = Order, "Order", "orders"

    def _row(self, order: Order, version: int, text: str) -> dict[str, Any]:
        return {
            "account_id": order.account_id,
            "symbol": order.symbol,
            "is_open": int(order.status.is_open),
            "created_at": key_time(order.created_at),
            "version": version,
            "data": text,
        }

    def list_for_account(
        self, account_id: str, *, since: datetime | None = None, open_only: bool = False, limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[Order]:
        sql = "SELECT data FROM orders WHERE account_id = ? AND created_at >= ?"
        floor = key_time(since) if since is not None else ""
        args: tuple = (account_id, floor)
        if open_only:
            sql += " AND is_open = 1"
        if before is not None:  # keyset: the rows after that order, read through the index, not skipped over
            sql += " AND (created_at, id) < (?, ?)"
            args += (key_time(before[0]), before[1])
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        return self.db.many(Order, sql, (*args, -1 if limit is None else limit))

    def list_open_for_symbol(self, symbol: str) -> list[Order]:
        sql = "SELECT data FROM orders WHERE symbol = ? AND is_open = 1 ORDER BY created_at, id"
        return self.db.many(Order, sql, (symbol,))

    def log_change(self, order: Order, time: datetime) -> None:
        self.db.log("order_changes", dump(order), time)

    # One AUTOINCREMENT sequence serves every symbol (SQLite serialises writers anyway); a symbol's entries are
    # picked by the order's symbol inside the entry, through an index on that expression, so the local file
    # needs no new column.
    def changes_since(self, symbol: str, cursor: int) -> list[OrderChange]:
        sql = "SELECT seq, time, data FROM order_changes WHERE seq > ? AND json_extract(data, '$.symbol') = ?"
        rows = self.db.rows(f"{sql} ORDER BY seq", (cursor, symbol))
        return [OrderChange(seq=seq, time=from_key_time(time), order=load(Order, data)) for seq, time, data in rows]

    def last_change(self, symbol: str) -> int:
        sql = "SELECT MAX(seq) FROM order_changes WHERE json_extract(data, '$.symbol') = ?"
        (seq,) = self.db.rows(sql, (symbol,))[0]
        return int(seq or 0)


class SqliteFills(Repo, ports.FillRepository):
    def add(self, fill: Fill) -> None:
        row = {"id": fill.id, "account_id": fill.account_id, "time": key_time(fill.time), "data": dump(fill)}
        self.db.create("fills", row, partial(AlreadyExists, f"Fill {fill.id} is already recorded.", fill_id=fill.id))

    def list_for_account(self, account_id: str, *, since: datetime | None = None) -> list[Fill]:
        sql = "SELECT data FROM fills WHERE account_id = ? AND time >= ?"
        sql += " ORDER BY time, json_extract(data, '$.sequence'), id"
        return self.db.many(Fill, sql, (account_id, key_time(since) if since is not None else ""))


class SqlitePositions(Repo, ports.PositionRepository):
    def get(self, account_id: str, symbol: str) -> Position | None:
        sql = "SELECT data FROM positions WHERE account_id = ? AND symbol = ?"
        return self.db.one(Position, sql, (account_id, symbol))

    def save(self, position: Position) -> Position:
        stored, text = versioned(position, position.version + 1)
        key = {"account_id": position.account_id, "symbol": position.symbol}
        what = f"Position {position.account_id}/{position.symbol}"
        row = {"version": stored.version, "data": text}
        self.db.put_versioned("positions", key, row, position.version, what, create=position.version == 0)
        return stored

    def list_for_account(self, account_id: str) -> list[Position]:
        return self.db.many(Position, "SELECT data FROM positions WHERE account_id = ? ORDER BY symbol", (account_id,))


class SqliteBooks(Repo, ports.RiskBookRepository):
    def get(self, account_id: str) -> RiskBook:
        found = self.db.one(RiskBook, "SELECT data FROM books WHERE account_id = ?", (account_id,))
        return found or RiskBook(account_id=account_id)

    def save(self, book: RiskBook) -> RiskBook:
        stored, text = versioned(book, book.version + 1)
        key, row = {"account_id": book.account_id}, {"version": stored.version, "data": text}
        self.db.put_versioned("books", key, row, book.version, f"Risk book {book.account_id}", create=book.version == 0)
        return stored
