"""Who is calling: a Bearer JWT whose ``sub`` names an account. The stored account decides the role."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core import usecases as uc
from core.accounts import Account
from core.errors import NotFound, Unauthorized
from infra.bootstrap import Platform
from infra.tokens import check_generation, verify_token

bearer = HTTPBearer(auto_error=False, description="A JWT from `parley token --account ID`")


def platform(request: Request) -> Platform:
    return request.app.state.platform


def authenticate(request: Request) -> Account:
    """The account whose token the request carries; Unauthorized otherwise. Remembered on the request, so
    the route guard (which runs it before the body is read) and the ``caller`` dependency check it once."""
    known = getattr(request.state, "caller", None)
    if known is not None:
        return known
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an Authorization: Bearer <token> header.", code="missing_token")
    parley = platform(request)
    max_ttl = timedelta(seconds=parley.settings.jwt_max_ttl_seconds)
    claims = verify_token(token.strip(), parley.jwt_secret(), max_ttl=max_ttl)
    try:
        account = uc.get_account(parley.deps, str(claims["sub"]))
    except NotFound:
        raise Unauthorized("The token's account does not exist.", code="unknown_account") from None
    check_generation(claims, account)  # read with the account on every request: a revocation holds at once
    request.state.caller = account
    return account


def caller(request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Account:
    """The calling account. ``bearer`` is declared for the OpenAPI security scheme; ``authenticate`` reads."""
    return authenticate(request)


def admin(account: Annotated[Account, Depends(caller)]) -> Account:
    uc.require_admin(account)
    return account


Caller = Annotated[Account, Depends(caller)]
Admin = Annotated[Account, Depends(admin)]
Parley = Annotated[Platform, Depends(platform)]
