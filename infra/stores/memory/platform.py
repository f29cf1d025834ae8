"""In-memory platform repositories: settings, the append-only audit log, idempotency records."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.accounts import SystemSettings
from core.audit import AuditRecord
from core.errors import AlreadyExists, NotFound
from core.ports import store as ports
from infra.stores.memory.base import Repo, as_row, check_version, versioned_row


class MemoryAudit(Repo, ports.AuditLog):
    def append(self, record: AuditRecord) -> None:
        row = as_row(record)
        with self._writing():
            if record.id in self.db.tables["audit"]:
                raise AlreadyExists(f"Audit record {record.id} already exists.", record_id=record.id)
            self._set("audit", record.id, row)

    def list_for_account(self, account_id: str, *, limit: int | None = None) -> list[AuditRecord]:
        return self._select("audit", lambda a: a.account_id == account_id, lambda a: (a.time, a.id), limit=limit)


class MemoryIdempotency(Repo, ports.IdempotencyStore):
    def claim(self, key: str, fingerprint: str, *, now: datetime, ttl_seconds: int) -> ports.IdempotencyRecord | None:
        expires_at = now + timedelta(seconds=ttl_seconds)
        row = as_row(ports.IdempotencyRecord(key=key, fingerprint=fingerprint, expires_at=expires_at))
        with self._writing():
            live = self.db.tables["idempotency"].get(key)
            if live is not None and live.record.expires_at > now:
                return live.fresh()
            self._set("idempotency", key, row)
        return None

    def complete(self, key: str, result: dict[str, Any]) -> None:
        with self._writing():
            stored = self.db.tables["idempotency"].get(key)
            if stored is None:
                raise NotFound(f"No idempotency record for key {key!r}.", key=key)
            done = stored.fresh().model_copy(update={"status": ports.IdempotencyStatus.COMPLETED, "result": result})
            self._set("idempotency", key, as_row(done))

    def release(self, key: str) -> None:
        with self._writing():
            if key in self.db.tables["idempotency"]:
                self._delete("idempotency", key)


class MemorySettings(Repo, ports.SettingsRepository):
    def get(self) -> SystemSettings:
        with self.db.lock:
            row = self.db.tables["settings"].get("settings")
        return row.fresh() if row is not None else SystemSettings()

    def save(self, settings: SystemSettings) -> SystemSettings:
        row = versioned_row(settings, settings.version + 1)
        with self._writing():
            stored = self.db.tables["settings"].get("settings")
            check_version(stored, settings.version, "Settings", create=settings.version == 0)
            self._set("settings", "settings", row)
        return row.fresh()
