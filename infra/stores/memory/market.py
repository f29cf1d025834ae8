"""In-memory market repositories: quotes and session closes, price alerts (and their change log), signal sources."""

from __future__ import annotations

from datetime import datetime

from core.alerts import Alert, AlertChange, AlertStatus
from core.errors import AlreadyExists, NotFound
from core.market import Quote, SessionClose
from core.ports import store as ports
from core.signals import SignalSource
from infra.stores.memory.base import Repo, Versioned, as_row, newest_first


class MemoryQuotes(Repo, ports.QuoteRepository):
    def put(self, quote: Quote) -> bool:
        row = as_row(quote)
        with self._writing():
            stored = self.db.tables["quotes"].get(quote.symbol)
            if stored is not None and stored.record.time >= row.record.time:
                return False
            self._set("quotes", quote.symbol, row)
        return True

    def get(self, symbol: str) -> Quote | None:
        with self.db.lock:
            row = self.db.tables["quotes"].get(symbol)
        return row.fresh() if row is not None else None

    def get_many(self, symbols: list[str]) -> dict[str, Quote]:
        with self.db.lock:
            rows = [row for symbol in set(symbols) if (row := self.db.tables["quotes"].get(symbol)) is not None]
        return {row.record.symbol: row.fresh() for row in rows}

    def put_close(self, close: SessionClose) -> None:
        row = as_row(close)
        with self._writing():
            stored = self.db.tables["closes"].get(close.symbol)
            if stored is None or stored.record.at < row.record.at:
                self._set("closes", close.symbol, row)

    def get_closes(self, symbols: list[str]) -> dict[str, SessionClose]:
        with self.db.lock:
            rows = [row for symbol in set(symbols) if (row := self.db.tables["closes"].get(symbol)) is not None]
        return {row.record.symbol: row.fresh() for row in rows}


class MemoryAlerts(Versioned[Alert], ports.AlertRepository):
    noun, table = "Alert", "alerts"

    def delete(self, alert_id: str) -> None:
        with self._writing():
            if alert_id not in self.db.tables["alerts"]:
                raise NotFound(f"Alert {alert_id} not found.", alert_id=alert_id)
            self._delete("alerts", alert_id)

    def list_for_account(
        self, account_id: str, *, limit: int | None = None, before: tuple[datetime, str] | None = None,
        cancelled: bool = True,
    ) -> list[Alert]:
        def keep(alert: Alert) -> bool:
            return (alert.account_id == account_id and (cancelled or alert.status is not AlertStatus.CANCELLED)
                    and (before is None or newest_first(alert) < before))

        return self._select("alerts", keep, newest_first, reverse=True, limit=limit)

    def list_active_for_symbol(self, symbol: str) -> list[Alert]:
        def keep(alert: Alert) -> bool:
            return alert.symbol == symbol and alert.status is AlertStatus.ACTIVE

        return self._select("alerts", keep, newest_first)

    def log_change(self, alert: Alert, time: datetime) -> None:
        with self._writing():
            seq = len(self.db.tables["alert_changes"]) + 1  # entries are only ever appended (or undone)
            self._set("alert_changes", seq, as_row(AlertChange(seq=seq, alert=alert, time=time)))

    def changes_since(self, cursor: int) -> list[AlertChange]:
        return self._select("alert_changes", lambda c: c.seq > cursor, lambda c: c.seq)

    def last_change(self) -> int:
        with self.db.lock:
            return len(self.db.tables["alert_changes"])


class MemorySignalSources(Repo, ports.SignalSourceRepository):
    def add(self, source: SignalSource) -> SignalSource:
        row = as_row(source)
        with self._writing():
            if source.id in self.db.tables["signal_sources"]:
                raise AlreadyExists(f"Signal source {source.id} exists.", source_id=source.id)
            self._set("signal_sources", source.id, row)
        return row.fresh()

    def get(self, source_id: str) -> SignalSource | None:
        with self.db.lock:
            row = self.db.tables["signal_sources"].get(source_id)
        return row.fresh() if row is not None else None

    def list_for_account(self, account_id: str) -> list[SignalSource]:
        with self.db.lock:
            rows = [row.fresh() for row in self.db.tables["signal_sources"].values()]
        return sorted((s for s in rows if s.account_id == account_id), key=lambda s: (s.created_at, s.id))
