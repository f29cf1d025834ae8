"""SQLite platform repositories: settings, the append-only audit log, idempotency records, and their tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from core.accounts import SystemSettings
from core.audit import AuditRecord
from core.errors import AlreadyExists, NotFound
from core.ports import store as ports
from infra.stores.codec import dump, key_time, load, versioned
from infra.stores.sqlite.base import Repo

PLATFORM_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, time TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_account ON audit (account_id, time, id);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, expires_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL,
    data TEXT NOT NULL);
"""


class SqliteAudit(Repo, ports.AuditLog):
    def append(self, record: AuditRecord) -> None:
        row = {"id": record.id, "account_id": record.account_id, "time": key_time(record.time), "data": dump(record)}
        taken = partial(AlreadyExists, f"Audit record {record.id} already exists.", record_id=record.id)
        self.db.create("audit", row, taken)

    def list_for_account(self, account_id: str, *, limit: int | None = None) -> list[AuditRecord]:
        sql = "SELECT data FROM audit WHERE account_id = ? ORDER BY time, id LIMIT ?"
        return self.db.many(AuditRecord, sql, (account_id, -1 if limit is None else limit))


class SqliteIdempotency(Repo, ports.IdempotencyStore):
    def claim(self, key: str, fingerprint: str, *, now: datetime, ttl_seconds: int) -> ports.IdempotencyRecord | None:
        expires_at = now + timedelta(seconds=ttl_seconds)
        record = ports.IdempotencyRecord(key=key, fingerprint=fingerprint, expires_at=expires_at)
        with self.db.write() as conn:
            row = conn.execute("SELECT expires_at, data FROM idempotency WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] > key_time(now):
                return load(ports.IdempotencyRecord, row[1])
            sql = "INSERT OR REPLACE INTO idempotency (key, expires_at, data) VALUES (?, ?, ?)"
            conn.execute(sql, (key, key_time(expires_at), dump(record)))
        return None

    def complete(self, key: str, result: dict[str, Any]) -> None:
        with self.db.write() as conn:
            row = conn.execute("SELECT data FROM idempotency WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise NotFound(f"No idempotency record for key {key!r}.", key=key)
            record = load(ports.IdempotencyRecord, row[0])
            done = record.model_copy(update={"status": ports.IdempotencyStatus.COMPLETED, "result": result})
            conn.execute("UPDATE idempotency SET data = ? WHERE key = ?", (dump(done), key))

    def release(self, key: str) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM idempotency WHERE key = ?", (key,))


class SqliteSettings(Repo, ports.SettingsRepository):
    def get(self) -> SystemSettings:
        return self.db.one(SystemSettings, "SELECT data FROM settings WHERE id = 1") or SystemSettings()

    def save(self, settings: SystemSettings) -> SystemSettings:
        stored, text = versioned(settings, settings.version + 1)
        row = {"version": stored.version, "data": text}
        self.db.put_versioned("settings", {"id": 1}, row, settings.version, "Settings", create=settings.version == 0)
        return stored
