"""What every provider's inbound check shares: a secret compared in constant time, shut when none is set."""

from __future__ import annotations

import hmac


def same_secret(given: str | None, expected: str | None) -> bool:
    """Compare in constant time; never true when no secret is configured (a webhook with no secret is shut)."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
