"""The DynamoDB unit of work (writes wait in a ``UnitTable`` and go out as one TransactWriteItems at commit), the
store, and ``open_dynamodb_store``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.ports import store as ports
from infra.stores.dynamodb.market import DynamoAlerts, DynamoQuotes, DynamoSignalSources, read_prices
from infra.stores.dynamodb.messaging import (
    DynamoContacts,
    DynamoConversations,
    DynamoLinkCodes,
    DynamoMessages,
    DynamoNotifications,
)
from infra.stores.dynamodb.platform import DynamoAudit, DynamoIdempotency, DynamoSettings
from infra.stores.dynamodb.table import Table, UnitTable
from infra.stores.dynamodb.trading import DynamoAccounts, DynamoBooks, DynamoFills, DynamoOrders, DynamoPositions


class DynamoUnitOfWork(ports.UnitOfWork):
    """Writes wait in a ``UnitTable`` and go to DynamoDB at commit() as one TransactWriteItems (one call).

    Nothing is written before commit(), so leaving without it costs nothing to undo. The unit holds at most
    100 writes (one per key: DynamoDB's transaction limit); past that commit() raises StoreError and writes
    nothing, since splitting them over several transactions would break the all-or-nothing promise. Use cases
    keep units small for that reason (a kill switch cancels its orders one unit per order).
    """

    def __init__(self, store: DynamoStore) -> None:
        self._pending = UnitTable(store.table)
        self.accounts = DynamoAccounts(self._pending)
        self.orders = DynamoOrders(self._pending)
        self.fills = DynamoFills(self._pending)
        self.positions = DynamoPositions(self._pending)
        self.quotes = DynamoQuotes(self._pending)  # a put joins the unit: conditional, sent at commit
        self.notifications = DynamoNotifications(self._pending)
        self.audit = DynamoAudit(self._pending)
        self.settings = DynamoSettings(self._pending)
        self.alerts = DynamoAlerts(self._pending)
        self.books = DynamoBooks(self._pending)
        self.contacts = DynamoContacts(self._pending)
        self.link_codes = DynamoLinkCodes(self._pending)
        self.messages = DynamoMessages(self._pending)

    def prices_and_settings(self, symbols: list[str]) -> ports.Prices:
        if self._pending.buffered("SYSTEM", "SETTINGS"):  # the unit's own settings, and the prices in one call
            quotes, closes, _ = read_prices(self._pending, symbols)
            return quotes, closes, self.settings.get()
        return read_prices(self._pending, symbols)

    def commit(self) -> None:
        self._pending.commit()

    def rollback(self) -> None:
        self._pending.discard()


@dataclass
class DynamoStore(ports.Store):
    """The DynamoDB repositories over one table, and units of work over it."""

    table: Table = field(repr=False, kw_only=True)

    def unit(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork(self)

    def prices_and_settings(self, symbols: list[str]) -> ports.Prices:
        return read_prices(self.table, symbols)


def open_dynamodb_store(table_name: str, client: Any = None) -> DynamoStore:
    """The repositories over ``table_name``; ``client`` is a boto3 DynamoDB client (if omitted, the process's,
    built on the first call)."""
    table = Table(client, table_name)
    return DynamoStore(
        accounts=DynamoAccounts(table),
        orders=DynamoOrders(table),
        fills=DynamoFills(table),
        positions=DynamoPositions(table),
        quotes=DynamoQuotes(table),
        audit=DynamoAudit(table),
        idempotency=DynamoIdempotency(table),
        settings=DynamoSettings(table),
        alerts=DynamoAlerts(table),
        notifications=DynamoNotifications(table),
        signal_sources=DynamoSignalSources(table),
        books=DynamoBooks(table),
        conversations=DynamoConversations(table),
        contacts=DynamoContacts(table),
        link_codes=DynamoLinkCodes(table),
        messages=DynamoMessages(table),
        table=table,
    )
