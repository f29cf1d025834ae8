"""Creating a record under an Idempotency-Key, the way orders are placed (core/usecases/trading/orders.py): the record's
id is derived from (account, kind, key) and the record keeps the request's fingerprint, so the store's conditional
create makes a retry land on the record already made. The same request gets it back; another one is refused."""

from __future__ import annotations

from typing import Protocol, TypeVar

from core.errors import AlreadyExists, IdempotencyKeyReused
from core.ids import derived_id, new_id


class Keyed(Protocol):
    id: str
    request_fingerprint: str | None


R = TypeVar("R", bound=Keyed)


def record_id(account_id: str, kind: str, key: str | None) -> str:
    """The id a record made under ``key`` always gets (a fresh one without a key)."""
    return derived_id(account_id, kind, key) if key else new_id()


def replayed(existing: R | None, fingerprint: str, taken: AlreadyExists, kind: str) -> R:
    """The record a retry finds, if it was made by the same request; IdempotencyKeyReused if another request
    made it; ``taken`` again if the conflict was not about the record at all."""
    if existing is None:
        raise taken from None
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(f"This Idempotency-Key was already used for a different {kind}.",
                                   **{f"{kind.replace(' ', '_')}_id": existing.id})
    return existing
