"""Bearer tokens through the Lambda handler: a token living longer than the configured maximum is refused even
when validly signed, and revoking an account's tokens (a new token generation) refuses every token issued
before, for that account only, on the next request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from core import usecases as uc
from tests.functional.conftest import SECRET, Api


def signed(account: str, lives: timedelta, **claims: object) -> str:
    now = datetime.now(UTC)
    return jwt.encode({"sub": account, "iss": "parley", "iat": int(now.timestamp()),
                       "exp": int((now + lives).timestamp())} | claims, SECRET, algorithm="HS256")


def test_a_validly_signed_token_that_expires_beyond_the_maximum_lifetime_is_refused(api: Api) -> None:
    longest = timedelta(seconds=api.platform.settings.jwt_max_ttl_seconds)
    for lives in (longest + timedelta(minutes=5), timedelta(days=3650)):
        response = api("GET", "/v1/orders", token=signed("alice", lives))
        assert (response.status, response.body["error"]["code"]) == (401, "token_lifetime")
    assert api("GET", "/v1/orders", token=signed("alice", longest)).status == 200


def test_revoking_an_accounts_tokens_refuses_each_one_issued_before_and_only_that_accounts(api: Api) -> None:
    alice, bob = api.token("alice"), api.token("bob")
    assert api("GET", "/v1/orders", token=alice).status == 200
    revoked = uc.revoke_tokens(api.deps, "alice")
    assert revoked.token_generation == 1
    response = api("GET", "/v1/orders", token=alice)
    assert (response.status, response.body["error"]["code"]) == (401, "token_revoked")
    assert api("GET", "/v1/orders", token=signed("alice", timedelta(hours=1), gen=0)).status == 401
    assert api("GET", "/v1/orders", token=bob).status == 200
    assert api("GET", "/v1/orders", token=api.token("alice")).status == 200  # a token issued after works
    assert [r.data for r in api.deps.store.audit.list_for_account("alice") if r.data.get("tokens_revoked")]
