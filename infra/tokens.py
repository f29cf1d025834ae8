"""Bearer tokens: HS256 JWTs whose ``sub`` is the account id, ``role`` its role and ``gen`` the account's token
generation when issued. A token is refused when it expired, when its ``exp`` lies further ahead than the
configured maximum lifetime (however well it is signed), or when its account's tokens were revoked since.

PyJWT is imported by the first token issued or checked, not with this module: its import loads the RSA and EC
algorithms (and ``cryptography`` where installed), which Parley's HS256 tokens never use, and an API cold start
whose first request carries no token (/health, /docs) need not pay for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.accounts import Account
from core.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "parley"
LEEWAY = timedelta(seconds=30)  # clocks of the issuer and the API may differ this much


def issue_token(account: Account, secret: str, ttl: timedelta, now: datetime | None = None) -> str:
    import jwt

    now = now or datetime.now(UTC)
    claims = {
        "sub": account.id,
        "role": account.role.value,
        "gen": account.token_generation,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secret: str, *, max_ttl: timedelta | None = None, now: datetime | None = None) -> dict:
    """The token's claims, or Unauthorized with a reason a client can act on (never the secret). With ``max_ttl``,
    a token that would still be valid more than that from now is refused (``token_lifetime``)."""
    import jwt

    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["sub", "exp", "iat"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token expired; get a new one.", code="token_expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("Invalid bearer token.", code="invalid_token") from None
    now = now or datetime.now(UTC)
    if max_ttl is not None and claims["exp"] > (now + max_ttl + LEEWAY).timestamp():
        raise Unauthorized("The token lives longer than tokens may; get a new one.", code="token_lifetime")
    return claims


def check_generation(claims: dict, account: Account) -> None:
    """Unauthorized (``token_revoked``) if the account's tokens were revoked after this one was issued."""
    generation = claims.get("gen", 0)
    if not isinstance(generation, int) or generation != account.token_generation:
        raise Unauthorized("This token was revoked; get a new one.", code="token_revoked")
