"""One error tree for the whole platform.

Every error a user can cause is a ParleyError that carries a stable machine-readable ``code``, a sentence
written for a trader, and the data behind it. Transports (HTTP, chat) map these to status codes or replies
in one place each.
"""

from __future__ import annotations

from typing import Any


class ParleyError(Exception):
    """Base of every domain error. ``code`` is stable; ``message`` is for people."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidRequest(ParleyError):
    """The request is malformed or violates an instrument rule (tick, lot, missing price)."""

    code = "invalid_request"


class BadRequest(ParleyError):
    """The request itself is incomplete (a missing or malformed header), before any domain rule applies."""

    code = "bad_request"


class UnknownSymbol(InvalidRequest):
    code = "unknown_symbol"

    def __init__(self, symbol: str) -> None:
        super().__init__(f"Unknown symbol {symbol!r}.", symbol=symbol)


class NotFound(ParleyError):
    code = "not_found"


class Forbidden(ParleyError):
    code = "forbidden"


class Unauthorized(ParleyError):
    code = "unauthorized"


class Conflict(ParleyError):
    """The request clashes with the current state (already exists, already final, idempotency reuse)."""

    code = "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class ConcurrentUpdate(Conflict):
    """An optimistic-concurrency check failed: somebody else changed the record first."""

    code = "concurrent_update"


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, order_id: str, current: str, target: str) -> None:
        super().__init__(
            f"Order {order_id} cannot go from {current} to {target}.",
            order_id=order_id,
            current=current,
            target=target,
        )


class IdempotencyKeyReused(ParleyError):
    """The same Idempotency-Key was sent with a different request body."""

    code = "idempotency_key_reused"


class LimitReached(InvalidRequest):
    """The account holds as many of something as its risk limits allow (``limit``, ``count`` in the details)."""

    code = "limit_reached"


def require_room(cap: int | None, count: int, code: str, what: str) -> None:
    """LimitReached (``code``) when an account holding ``count`` of ``what`` may hold no more than ``cap``."""
    if cap is not None and count >= cap:
        raise LimitReached(f"You have {count} {what}, the most your account allows ({cap}). Cancel one first.",
                           code=code, limit=cap, count=count)


class RiskRejected(ParleyError):
    """The pre-trade risk gate refused an order; ``details['reasons']`` lists why."""

    code = "risk_rejected"


class QuoteUnavailable(ParleyError):
    code = "quote_unavailable"


class StoreError(ParleyError):
    """A storage backend failed for a reason the caller cannot fix."""

    code = "store_error"


class StaleQuote(Conflict):
    """A quote no newer than the stored one: what it would cause was already caused (or never will be)."""

    code = "stale_quote"
