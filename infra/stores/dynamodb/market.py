"""DynamoDB market repositories: quotes and session closes (and the one batch read of prices and settings the
risk gate makes), price alerts (and their change log), signal sources."""

from __future__ import annotations

import itertools
from datetime import datetime

from core.accounts import SystemSettings
from core.alerts import Alert, AlertChange, AlertStatus
from core.errors import NotFound, StaleQuote
from core.market import Quote, SessionClose
from core.ports import store as ports
from core.signals import SignalSource
from infra.stores.codec import dump, key_time, load
from infra.stores.dynamodb.changelog import changes_since, last_change, log_change
from infra.stores.dynamodb.table import (
    ConditionFailed,
    Item,
    Repo,
    Table,
    UnitTable,
    Versioned,
    Write,
    already_exists,
    attrs,
    create,
    delete_existing,
    from_item,
    from_items,
    key,
)


class DynamoQuotes(Repo, ports.QuoteRepository):
    def put(self, quote: Quote) -> bool:
        time = key_time(quote.time)
        item = attrs(PK=f"QUOTE#{quote.symbol}", SK="LATEST", quote_time=time, data=dump(quote))
        if isinstance(self.table, UnitTable):  # decided at commit: True here, StaleQuote from commit()
            self.table.write(_newer_quote(item, time, quote.symbol))
            return True
        try:
            self.table.put(item, "attribute_not_exists(PK) OR quote_time < :time", time=time)
        except ConditionFailed:
            return False
        return True

    def get(self, symbol: str) -> Quote | None:
        item = self.table.get(f"QUOTE#{symbol}", "LATEST")
        return from_item(Quote, item) if item else None

    def get_many(self, symbols: list[str]) -> dict[str, Quote]:
        return _quotes(self.table.get_many(_quote_keys(symbols)))

    def put_close(self, close: SessionClose) -> None:
        at = key_time(close.at)
        item = attrs(PK=f"QUOTE#{close.symbol}", SK="CLOSE", close_at=at, data=dump(close))
        try:
            self.table.put(item, "attribute_not_exists(PK) OR close_at < :at", at=at)
        except ConditionFailed:
            return  # a later close is recorded already

    def get_closes(self, symbols: list[str]) -> dict[str, SessionClose]:
        return _closes(self.table.get_many(_close_keys(symbols)))


def _newer_quote(item: Item, time: str, symbol: str) -> Write:
    def stale(old: Item | None) -> Exception:
        return StaleQuote(f"A quote for {symbol} as new or newer is stored.", symbol=symbol)

    return Write(
        (item["PK"]["S"], "LATEST"), item, "attribute_not_exists(PK) OR quote_time < :time",
        lambda old: old is None or old["quote_time"]["S"] < time, stale, {":time": {"S": time}},
    )


def _quote_keys(symbols: list[str]) -> list[Item]:
    return [key(f"QUOTE#{symbol}", "LATEST") for symbol in sorted(set(symbols))]


def _close_keys(symbols: list[str]) -> list[Item]:
    return [key(f"QUOTE#{symbol}", "CLOSE") for symbol in sorted(set(symbols))]


def _quotes(items: list[Item]) -> dict[str, Quote]:
    quotes = (from_item(Quote, item) for item in items)
    return {quote.symbol: quote for quote in quotes}


def _closes(items: list[Item]) -> dict[str, SessionClose]:
    closes = (from_item(SessionClose, item) for item in items)
    return {close.symbol: close for close in closes}


def read_prices(table: Table, symbols: list[str]) -> ports.Prices:
    """The quotes and closes of ``symbols`` and the settings in one BatchGetItem (more only past 49 symbols)."""
    items = table.get_many([*_quote_keys(symbols), *_close_keys(symbols), key("SYSTEM", "SETTINGS")])
    settings = [item for item in items if item["PK"]["S"] == "SYSTEM"]
    quotes = _quotes([item for item in items if item["SK"]["S"] == "LATEST"])
    closes = _closes([item for item in items if item["SK"]["S"] == "CLOSE"])
    return quotes, closes, from_item(SystemSettings, settings[0]) if settings else SystemSettings()


class DynamoAlerts(Versioned[Alert], ports.AlertRepository):
    model, noun, prefix, sk = Alert, "Alert", "ALERT#", "ALERT"

    def item(self, alert: Alert, text: str) -> Item:
        when = f"{key_time(alert.created_at)}#{alert.id}"
        active = alert.status is AlertStatus.ACTIVE
        keys = {"GSI2PK": f"ACTIVE_ALERTS#{alert.symbol}", "GSI2SK": when} if active else {}
        return attrs(
            PK=f"ALERT#{alert.id}",
            SK="ALERT",
            GSI1PK=f"ACCOUNT#{alert.account_id}#ALERTS",
            GSI1SK=when,
            version=alert.version,
            data=text,
            **keys,
        )

    def delete(self, alert_id: str) -> None:
        missing = NotFound(f"Alert {alert_id} not found.", alert_id=alert_id)
        self.table.write(delete_existing(f"ALERT#{alert_id}", "ALERT", missing))

    def list_for_account(
        self, account_id: str, *, limit: int | None = None, before: tuple[datetime, str] | None = None,
        cancelled: bool = True,
    ) -> list[Alert]:
        condition, bounds = "GSI1PK = :pk", {"pk": f"ACCOUNT#{account_id}#ALERTS"}
        if before is not None:  # GSI1SK is "<created_at>#<id>": the key condition starts the read after that alert
            condition += " AND GSI1SK < :before"
            bounds["before"] = f"{key_time(before[0])}#{before[1]}"
        items = self.table.query(condition, index="GSI1", forward=False, page=limit, **bounds)
        alerts = (from_item(Alert, item) for item in items)  # read page by page, only as far as needed
        kept = (a for a in alerts if cancelled or a.status is not AlertStatus.CANCELLED)
        return list(itertools.islice(kept, limit))

    def list_active_for_symbol(self, symbol: str) -> list[Alert]:
        return from_items(Alert, self.table.query("GSI2PK = :pk", index="GSI2", pk=f"ACTIVE_ALERTS#{symbol}"))

    def log_change(self, alert: Alert, time: datetime) -> None:
        log_change(self.table, alert, time)

    def changes_since(self, cursor: int) -> list[AlertChange]:
        return changes_since(self.table, cursor)

    def last_change(self) -> int:
        return last_change(self.table)


class DynamoSignalSources(Repo, ports.SignalSourceRepository):
    def add(self, source: SignalSource) -> SignalSource:
        item = attrs(PK=f"SIGNAL_SOURCE#{source.id}", SK="SOURCE", data=dump(source),
                     GSI1PK=f"ACCOUNT#{source.account_id}#SIGNAL_SOURCES",
                     GSI1SK=f"{key_time(source.created_at)}#{source.id}")
        self.table.write(create(item, already_exists(f"Signal source {source.id} exists.", source_id=source.id)))
        return load(SignalSource, dump(source))

    def get(self, source_id: str) -> SignalSource | None:
        item = self.table.get(f"SIGNAL_SOURCE#{source_id}", "SOURCE")
        return from_item(SignalSource, item) if item else None

    def list_for_account(self, account_id: str) -> list[SignalSource]:
        pk = f"ACCOUNT#{account_id}#SIGNAL_SOURCES"
        return from_items(SignalSource, self.table.query("GSI1PK = :pk", index="GSI1", pk=pk))
