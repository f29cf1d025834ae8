"""The platform repositories: the platform settings, the append-only audit log and the idempotency records
(claims with an expiry) that deduplicate webhooks, stream records and API keys."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from core.accounts import SystemSettings
from core.audit import AuditRecord


class AuditLog(ABC):
    """Append-only: there is no update and no delete."""

    @abstractmethod
    def append(self, record: AuditRecord) -> None: ...

    @abstractmethod
    def list_for_account(self, account_id: str, *, limit: int | None = None) -> list[AuditRecord]:
        """Oldest first."""


class IdempotencyStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class IdempotencyRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    key: str
    fingerprint: str
    status: IdempotencyStatus = IdempotencyStatus.IN_PROGRESS
    result: dict[str, Any] | None = None
    expires_at: AwareDatetime


class IdempotencyStore(ABC):
    """Dedup records with an expiry (DynamoDB TTL in AWS): webhook update ids, stream record ids, keys."""

    @abstractmethod
    def claim(self, key: str, fingerprint: str, *, now: datetime, ttl_seconds: int) -> IdempotencyRecord | None:
        """Atomically create an in-progress record. None if claimed now; the live record if one exists.

        A record whose ``expires_at`` is at or before ``now`` counts as absent and is replaced.
        """

    @abstractmethod
    def complete(self, key: str, result: dict[str, Any]) -> None:
        """Mark a claimed record completed with ``result``; NotFound if there is no record."""

    @abstractmethod
    def release(self, key: str) -> None:
        """Drop a claim (the work failed and may be retried). Missing keys are ignored."""


class SettingsRepository(ABC):
    @abstractmethod
    def get(self) -> SystemSettings:
        """The stored settings, or defaults (version 0) if none were saved yet."""

    @abstractmethod
    def save(self, settings: SystemSettings) -> SystemSettings: ...
