"""DynamoDB trading repositories: accounts, orders (and their per-symbol change log), fills, positions, risk books."""

from __future__ import annotations

from datetime import datetime

from core.accounts import Account
from core.orders import Fill, Order, OrderChange
from core.portfolio import Position
from core.ports import store as ports
from core.risk_book import RiskBook
from infra.stores.codec import dump, key_time, load, versioned
from infra.stores.dynamodb.changelog import entries_since, last_entry, log_entry, order_log
from infra.stores.dynamodb.table import (
    Item,
    Repo,
    Versioned,
    already_exists,
    attrs,
    create,
    from_item,
    from_items,
    put_versioned,
)


def _since(partition: str, since: datetime | None) -> tuple[str, dict[str, str]]:
    """A GSI1 key condition for ``partition``, from ``since`` on when given (sort keys start with the time)."""
    if since is None:
        return "GSI1PK = :pk", {"pk": partition}
    return "GSI1PK = :pk AND GSI1SK >= :since", {"pk": partition, "since": key_time(since)}


class DynamoAccounts(Versioned[Account], ports.AccountRepository):
    model, noun, prefix, sk = Account, "Account", "ACCOUNT#", "PROFILE"

    def item(self, account: Account, text: str) -> Item:
        return attrs(
            PK=f"ACCOUNT#{account.id}",
            SK="PROFILE",
            GSI1PK="ACCOUNTS",
            GSI1SK=account.id,
            version=account.version,
            data=text,
        )

    def list(self) -> list[Account]:
        return from_items(Account, self.table.query("GSI1PK = :pk", index="GSI1", pk="ACCOUNTS"))


class DynamoOrders(Versioned[Order], ports.OrderRepository):
    model, noun, prefix, sk = Order, "Order", "ORDER#", "ORDER"

    def item(self, order: Order, text: str) -> Item:
        when = f"{key_time(order.created_at)}#{order.id}"
        keys = {"GSI2PK": f"OPEN#{order.symbol}", "GSI2SK": when} if order.status.is_open else {}
        return attrs(
            PK=f"ORDER#{order.id}",
            SK="ORDER",
            GSI1PK=f"ACCOUNT#{order.account_id}#ORDERS",
            GSI1SK=when,
            version=order.version,
            data=text,
            **keys,
        )

    def list_for_account(
        self, account_id: str, *, since: datetime | None = None, open_only: bool = False, limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[Order]:
        condition, bounds = _since(f"ACCOUNT#{account_id}#ORDERS", since)
        ceiling = f"{key_time(before[0])}#{before[1]}" if before is not None else None
        if ceiling is not None and since is not None and ceiling < bounds["since"]:
            return []  # nothing is both after the cursor and at or after ``since``
        if ceiling is not None:  # GSI1SK is "<created_at>#<id>": the key condition starts the read after that order
            upper = "GSI1SK < :before" if since is None else "GSI1SK BETWEEN :since AND :before"
            condition, bounds = f"GSI1PK = :pk AND {upper}", bounds | {"before": ceiling}
        items = self.table.query(
            condition,
            index="GSI1",
            forward=False,
            filter="attribute_exists(GSI2PK)" if open_only else None,
            page=None if open_only else limit,
            **bounds,
        )
        if ceiling is not None and since is not None:  # BETWEEN takes the cursor's own order too
            items = (item for item in items if item["GSI1SK"]["S"] != ceiling)
        return from_items(Order, items, limit)

    def list_open_for_symbol(self, symbol: str) -> list[Order]:
        return from_items(Order, self.table.query("GSI2PK = :pk", index="GSI2", pk=f"OPEN#{symbol}"))

    def log_change(self, order: Order, time: datetime) -> None:
        log_entry(self.table, order_log(order.symbol), dump(order), time)

    def changes_since(self, symbol: str, cursor: int) -> list[OrderChange]:
        entries = entries_since(self.table, order_log(symbol), cursor)
        return [OrderChange(seq=seq, time=time, order=load(Order, data)) for seq, time, data in entries]

    def last_change(self, symbol: str) -> int:
        return last_entry(self.table, order_log(symbol))


class DynamoFills(Repo, ports.FillRepository):
    def add(self, fill: Fill) -> None:
        when = f"{key_time(fill.time)}#{fill.sequence:012d}#{fill.id}"  # booking order within one instant
        item = attrs(
            PK=f"FILL#{fill.id}", SK="FILL", GSI1PK=f"ACCOUNT#{fill.account_id}#FILLS", GSI1SK=when, data=dump(fill)
        )
        self.table.write(create(item, already_exists(f"Fill {fill.id} is already recorded.", fill_id=fill.id)))

    def list_for_account(self, account_id: str, *, since: datetime | None = None) -> list[Fill]:
        condition, bounds = _since(f"ACCOUNT#{account_id}#FILLS", since)
        items = self.table.query(condition, index="GSI1", **bounds)
        return from_items(Fill, items)


class DynamoPositions(Repo, ports.PositionRepository):
    def get(self, account_id: str, symbol: str) -> Position | None:
        item = self.table.get(f"ACCOUNT#{account_id}", f"POSITION#{symbol}")
        return from_item(Position, item) if item else None

    def save(self, position: Position) -> Position:
        stored, text = versioned(position, position.version + 1)
        item = attrs(
            PK=f"ACCOUNT#{position.account_id}", SK=f"POSITION#{position.symbol}", version=stored.version, data=text
        )
        what = f"Position {position.account_id}/{position.symbol}"
        self.table.write(put_versioned(item, position.version, what, create=position.version == 0))
        return stored

    def list_for_account(self, account_id: str) -> list[Position]:
        # The whole account partition (profile, risk book, positions) in one query: a unit of work remembers
        # every item it read, so the risk gate's account and book cost no second round trip.
        items = self.table.query("PK = :pk", pk=f"ACCOUNT#{account_id}")
        return from_items(Position, (item for item in items if item["SK"]["S"].startswith("POSITION#")))


class DynamoBooks(Repo, ports.RiskBookRepository):
    def get(self, account_id: str) -> RiskBook:
        item = self.table.get(f"ACCOUNT#{account_id}", "BOOK")
        return from_item(RiskBook, item) if item else RiskBook(account_id=account_id)

    def save(self, book: RiskBook) -> RiskBook:
        stored, text = versioned(book, book.version + 1)
        item = attrs(PK=f"ACCOUNT#{book.account_id}", SK="BOOK", version=stored.version, data=text)
        what = f"Risk book {book.account_id}"
        self.table.write(put_versioned(item, book.version, what, create=book.version == 0))
        return stored
