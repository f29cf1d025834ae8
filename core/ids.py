"""Short, readable identifiers: Crockford base32, no I/L/O/U to misread in a chat."""

from __future__ import annotations

import hashlib
import json
import secrets
from decimal import Decimal
from typing import Any

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(raw: bytes, length: int) -> str:
    number = int.from_bytes(raw, "big")
    chars = []
    for _ in range(length):
        number, rest = divmod(number, 32)
        chars.append(ALPHABET[rest])
    return "".join(chars)


def new_id(length: int = 10) -> str:
    return _encode(secrets.token_bytes(16), length)


def derived_id(*parts: str, length: int = 10) -> str:
    """The same parts always give the same id: used where a retry must land on the same record."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return _encode(digest, length)


def fingerprint(fields: dict[str, Any]) -> str:
    """A stable hash of a request's fields, kept on the record an Idempotency-Key created, to tell a retry from a
    different request under the same key. Amounts are compared by value: "10.0" and "10" are the same."""
    canonical = {name: format(value.normalize(), "f") if isinstance(value, Decimal) else value
                 for name, value in fields.items()}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
