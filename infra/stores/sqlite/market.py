"""SQLite market repositories: quotes and session closes, price alerts (and their change log), signal sources,
and their tables."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from core.alerts import Alert, AlertChange, AlertStatus
from core.errors import AlreadyExists, NotFound, StoreError
from core.market import Quote, SessionClose
from core.ports import store as ports
from core.signals import SignalSource
from infra.stores.codec import M, dump, from_key_time, key_time, load
from infra.stores.sqlite.base import Repo, Versioned

MARKET_SCHEMA = """
CREATE TABLE IF NOT EXISTS quotes (symbol TEXT PRIMARY KEY, time TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS closes (symbol TEXT PRIMARY KEY, at TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, symbol TEXT NOT NULL,
    is_active INTEGER NOT NULL, created_at TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_by_account ON alerts (account_id, created_at, id);
CREATE INDEX IF NOT EXISTS alerts_active_by_symbol ON alerts (symbol, created_at, id) WHERE is_active = 1;
CREATE TABLE IF NOT EXISTS alert_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alert_changes_by_time ON alert_changes (time);
CREATE TABLE IF NOT EXISTS signal_sources (id TEXT PRIMARY KEY, data TEXT NOT NULL);
"""


class SqliteQuotes(Repo, ports.QuoteRepository):
    # Kept only if newer than the stored quote: a replayed or older quote changes nothing.
    PUT = (
        "INSERT INTO quotes (symbol, time, data) VALUES (?, ?, ?) ON CONFLICT (symbol) DO UPDATE"
        " SET time = excluded.time, data = excluded.data WHERE excluded.time > quotes.time"
    )

    def put(self, quote: Quote) -> bool:
        with self.db.write() as conn:
            return conn.execute(self.PUT, (quote.symbol, key_time(quote.time), dump(quote))).rowcount == 1

    def put_many(self, quotes: list[Quote]) -> tuple[set[str], set[str]]:
        kept = set()
        try:
            with self.db.write() as conn:  # one transaction for the batch, not one per symbol
                for quote in quotes:
                    if conn.execute(self.PUT, (quote.symbol, key_time(quote.time), dump(quote))).rowcount == 1:
                        kept.add(quote.symbol)
        except StoreError:
            return set(), {quote.symbol for quote in quotes}
        return kept, set()

    def get(self, symbol: str) -> Quote | None:
        return self.db.one(Quote, "SELECT data FROM quotes WHERE symbol = ?", (symbol,))

    def get_many(self, symbols: list[str]) -> dict[str, Quote]:
        return self._by_symbol(Quote, "quotes", symbols)

    # Kept only if a later close than the stored one: a sweep that runs late or twice changes nothing.
    PUT_CLOSE = (
        "INSERT INTO closes (symbol, at, data) VALUES (?, ?, ?) ON CONFLICT (symbol) DO UPDATE"
        " SET at = excluded.at, data = excluded.data WHERE excluded.at > closes.at"
    )

    def put_close(self, close: SessionClose) -> None:
        with self.db.write() as conn:
            conn.execute(self.PUT_CLOSE, (close.symbol, key_time(close.at), dump(close)))

    def get_closes(self, symbols: list[str]) -> dict[str, SessionClose]:
        return self._by_symbol(SessionClose, "closes", symbols)

    def _by_symbol(self, model: type[M], table: str, symbols: list[str]) -> dict[str, M]:
        found: dict[str, M] = {}
        wanted = sorted(set(symbols))
        for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
            chunk = tuple(wanted[start : start + 500])
            sql = f"SELECT data FROM {table} WHERE symbol IN ({', '.join('?' * len(chunk))})"
            found.update((record.symbol, record) for record in self.db.many(model, sql, chunk))
        return found


class SqliteAlerts(Versioned[Alert], ports.AlertRepository):
    model, noun, table = Alert, "Alert", "alerts"

    def _row(self, alert: Alert, version: int, text: str) -> dict[str, Any]:
        return {
            "account_id": alert.account_id,
            "symbol": alert.symbol,
            "is_active": int(alert.status is AlertStatus.ACTIVE),
            "created_at": key_time(alert.created_at),
            "version": version,
            "data": text,
        }

    def delete(self, alert_id: str) -> None:
        with self.db.write() as conn:
            if conn.execute("DELETE FROM alerts WHERE id = ?", (alert_id,)).rowcount == 0:
                raise NotFound(f"Alert {alert_id} not found.", alert_id=alert_id)

    def list_for_account(
        self, account_id: str, *, limit: int | None = None, before: tuple[datetime, str] | None = None,
        cancelled: bool = True,
    ) -> list[Alert]:
        sql, args = "SELECT data FROM alerts WHERE account_id = ?", (account_id,)
        if not cancelled:
            sql += " AND json_extract(data, '$.status') != 'cancelled'"
        if before is not None:  # keyset: the rows after that alert
            sql += " AND (created_at, id) < (?, ?)"
            args += (key_time(before[0]), before[1])
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        return self.db.many(Alert, sql, (*args, -1 if limit is None else limit))

    def list_active_for_symbol(self, symbol: str) -> list[Alert]:
        sql = "SELECT data FROM alerts WHERE symbol = ? AND is_active = 1 ORDER BY created_at, id"
        return self.db.many(Alert, sql, (symbol,))

    def log_change(self, alert: Alert, time: datetime) -> None:
        self.db.log("alert_changes", dump(alert), time)

    def changes_since(self, cursor: int) -> list[AlertChange]:
        rows = self.db.changes("alert_changes", cursor)
        return [
            AlertChange(seq=seq, time=from_key_time(time), alert=load(Alert, data)) for seq, time, data in rows
        ]

    def last_change(self) -> int:
        return self.db.last_seq("alert_changes")


class SqliteSignalSources(Repo, ports.SignalSourceRepository):
    def add(self, source: SignalSource) -> SignalSource:
        taken = partial(AlreadyExists, f"Signal source {source.id} exists.", source_id=source.id)
        self.db.create("signal_sources", {"id": source.id, "data": dump(source)}, taken)
        return load(SignalSource, dump(source))

    def get(self, source_id: str) -> SignalSource | None:
        return self.db.one(SignalSource, "SELECT data FROM signal_sources WHERE id = ?", (source_id,))

    def list_for_account(self, account_id: str) -> list[SignalSource]:
        sql = ("SELECT data FROM signal_sources WHERE json_extract(data, '$.account_id') = ? "
               "ORDER BY json_extract(data, '$.created_at'), id")
        return self.db.many(SignalSource, sql, (account_id,))
