"""Bearer tokens: HS256 JWTs whose ``sub`` is the account id and ``role`` its role.

PyJWT is imported by the first token issued or checked, not with this module: its import loads the RSA and EC
algorithms (and ``cryptography`` where installed), which Parley's HS256 tokens never use, and an API cold start
whose first request carries no token (/health, /docs) need not pay for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.accounts import Account
from core.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "parley"


def issue_token(account: Account, secret: str, ttl: timedelta, now: datetime | None = None) -> str:
    import jwt

    now = now or datetime.now(UTC)
    claims = {
        "sub": account.id,
        "role": account.role.value,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secret: str) -> dict:
    """The token's claims, or Unauthorized with a reason a client can act on (never the secret)."""
    import jwt

    try:
        return jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["sub", "exp", "iat"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token expired; get a new one.", code="token_expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("Invalid bearer token.", code="invalid_token") from None
