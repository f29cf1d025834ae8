"""Signal sources: outside systems (TradingView alerts, a risk engine) that may post signals to an account.

A source is registered by its trader and answered with a secret once. Each request proves it knows the secret:
``X-Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` at most five minutes old
and at most a small clock skew ahead (so no signature outlives its replay key), or, for senders that cannot
sign (TradingView), the secret as the body's ``passphrase``. Comparisons
are constant-time. A signal never executes on its own: ``notify`` tells the trader, ``stage`` makes a ticket
the trader confirms on a channel.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.errors import Conflict, Forbidden, InvalidRequest, Unauthorized
from core.ids import fingerprint

SIGNATURE_WINDOW = timedelta(minutes=5)  # how old a signature may be
CLOCK_SKEW = timedelta(seconds=30)  # how far ahead of our clock a sender's may run
REPLAY_TTL_SECONDS = int(SIGNATURE_WINDOW.total_seconds() * 2)  # a signature stays refused past both edges
MAX_BODY_BYTES = 16 * 1024
_HEADER = re.compile(r"^t=(?P<t>[0-9]{1,12}),v1=(?P<v1>[0-9a-f]{64})$")


class SignalMode(StrEnum):
    NOTIFY = "notify"  # the signal becomes a notification
    STAGE = "stage"  # the signal becomes a ticket the trader confirms


class SignalSource(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str
    account_id: str
    name: str = Field(min_length=1, max_length=64)
    mode: SignalMode
    secret: str = Field(repr=False)
    created_at: AwareDatetime
    request_fingerprint: str | None = None  # set with an Idempotency-Key (core/usecases/common/idempotent.py)


class ReplayedSignal(Conflict):
    code = "signal_replayed"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The v1 signature a sender puts in X-Parley-Signature for ``body`` sent at ``timestamp``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def fresh(sent: float, now: datetime) -> bool:
    """Was a signature made at ``sent`` (unix seconds) at most SIGNATURE_WINDOW ago and at most CLOCK_SKEW ahead?
    Signed webhooks (signals, SendGrid's) refuse anything else, so a captured request cannot be replayed late."""
    age = now.timestamp() - sent
    return -CLOCK_SKEW.total_seconds() <= age <= SIGNATURE_WINDOW.total_seconds()


def read_body(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest(f"A signal body is at most {MAX_BODY_BYTES} bytes.", code="body_too_large")
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("A signal body is a JSON object.", code="malformed_json") from None
    if not isinstance(parsed, dict):
        raise InvalidRequest("A signal body is a JSON object.", code="malformed_json")
    return parsed


def authenticate(source: SignalSource, header: str | None, body: bytes, now: datetime) -> str:
    """Check the request is the source's; returns its replay key. Raises Unauthorized or Forbidden."""
    if header:
        match = _HEADER.fullmatch(header.strip())
        if match is None:
            raise Unauthorized("X-Parley-Signature must read t=<unix>,v1=<hex>.", code="bad_signature")
        if not fresh(int(match["t"]), now):
            raise Forbidden("The signature's timestamp is outside the five-minute window.", code="signature_expired")
        sent = int(match["t"])
        if not hmac.compare_digest(signature(source.secret, sent, body), match["v1"]):
            raise Unauthorized("The signature does not match.", code="bad_signature")
        return f"signal:{source.id}:{match['v1']}"
    passphrase = read_body(body).get("passphrase")
    if not isinstance(passphrase, str) or not hmac.compare_digest(passphrase.encode(), source.secret.encode()):
        raise Unauthorized("Sign the request (X-Parley-Signature) or send the passphrase.", code="bad_signature")
    # Unsigned bodies carry no timestamp: the same content twice inside the replay window is refused as a replay,
    # however it was serialised (the key is the fingerprint of the parsed fields, not of the bytes).
    return f"signal:{source.id}:{fingerprint(read_body(body))}"


def stand_in(source_id: str, now: datetime) -> SignalSource:
    """A source no request can prove itself to (a fresh random secret): an unknown id is checked against it, so
    it is refused exactly as a known source's bad signature is and a stranger learns nothing of which ids exist."""
    return SignalSource(id=source_id[:64] or "unknown", account_id="", name="unknown", mode=SignalMode.NOTIFY,
                        secret=secrets.token_urlsafe(32), created_at=now)
