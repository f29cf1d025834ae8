"""DynamoDB platform repositories: settings, the append-only audit log, idempotency records."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.accounts import SystemSettings
from core.audit import AuditRecord
from core.errors import NotFound, StoreError
from core.ports import store as ports
from infra.stores.codec import dump, key_time, versioned
from infra.stores.dynamodb.table import (
    ConditionFailed,
    Item,
    Repo,
    already_exists,
    attrs,
    create,
    epoch,
    from_item,
    from_items,
    put_versioned,
)


class DynamoAudit(Repo, ports.AuditLog):
    def append(self, record: AuditRecord) -> None:
        item = attrs(
            PK=f"AUDIT#{record.id}",
            SK="AUDIT",
            GSI1PK=f"ACCOUNT#{record.account_id}#AUDIT",
            GSI1SK=f"{key_time(record.time)}#{record.id}",
            data=dump(record),
        )
        taken = already_exists(f"Audit record {record.id} already exists.", record_id=record.id)
        self.table.write(create(item, taken))

    def list_for_account(self, account_id: str, *, limit: int | None = None) -> list[AuditRecord]:
        items = self.table.query("GSI1PK = :pk", index="GSI1", page=limit, pk=f"ACCOUNT#{account_id}#AUDIT")
        return from_items(AuditRecord, items, limit)


class DynamoIdempotency(Repo, ports.IdempotencyStore):
    def _item(self, record: ports.IdempotencyRecord) -> Item:
        return attrs(
            PK=f"IDEMPOTENCY#{record.key}", SK="RECORD", expires_at=epoch(record.expires_at), data=dump(record)
        )

    def claim(self, key: str, fingerprint: str, *, now: datetime, ttl_seconds: int) -> ports.IdempotencyRecord | None:
        expires_at = now + timedelta(seconds=ttl_seconds)
        record = ports.IdempotencyRecord(key=key, fingerprint=fingerprint, expires_at=expires_at)
        for _ in range(5):  # the live record may be released between our failed put and our read
            try:
                self.table.put(self._item(record), "attribute_not_exists(PK) OR expires_at <= :now", now=epoch(now))
                return None
            except ConditionFailed as failed:
                live = failed.old or self.table.get(f"IDEMPOTENCY#{key}", "RECORD")
                if live is not None:
                    return from_item(ports.IdempotencyRecord, live)
        raise StoreError(f"Could not claim idempotency key {key!r}: it keeps changing.")

    def complete(self, key: str, result: dict[str, Any]) -> None:
        item = self.table.get(f"IDEMPOTENCY#{key}", "RECORD")
        if item is None:
            raise NotFound(f"No idempotency record for key {key!r}.", key=key)
        record = from_item(ports.IdempotencyRecord, item)
        done = record.model_copy(update={"status": ports.IdempotencyStatus.COMPLETED, "result": result})
        try:  # only the claim we read: a release and re-claim in between is somebody else's record
            self.table.put(self._item(done), "expires_at = :expires", expires=epoch(record.expires_at))
        except ConditionFailed:
            raise NotFound(f"The claim on idempotency key {key!r} is gone.", key=key) from None

    def release(self, key: str) -> None:
        self.table.delete(f"IDEMPOTENCY#{key}", "RECORD")


class DynamoSettings(Repo, ports.SettingsRepository):
    def get(self) -> SystemSettings:
        item = self.table.get("SYSTEM", "SETTINGS")
        return from_item(SystemSettings, item) if item else SystemSettings()

    def save(self, settings: SystemSettings) -> SystemSettings:
        stored, text = versioned(settings, settings.version + 1)
        item = attrs(PK="SYSTEM", SK="SETTINGS", version=stored.version, data=text)
        self.table.write(put_versioned(item, settings.version, "Settings", create=settings.version == 0))
        return stored
