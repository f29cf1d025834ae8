"""Who is calling: a Bearer JWT whose ``sub`` names an account. The stored account decides the role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core import usecases as uc
from core.accounts import Account
from core.errors import NotFound, Unauthorized
from infra.bootstrap import Platform
from infra.tokens import verify_token

bearer = HTTPBearer(auto_error=False, description="A JWT from `parley token --account ID`")


def platform(request: Request) -> Platform:
    return request.app.state.platform


def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Account:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an Authorization: Bearer <token> header.", code="missing_token")
    parley = platform(request)
    claims = verify_token(credentials.credentials, parley.jwt_secret())
    try:
        return uc.get_account(parley.deps, str(claims["sub"]))
    except NotFound:
        raise Unauthorized("The token's account does not exist.", code="unknown_account") from None


def admin(account: Annotated[Account, Depends(caller)]) -> Account:
    uc.require_admin(account)
    return account


Caller = Annotated[Account, Depends(caller)]
Admin = Annotated[Account, Depends(admin)]
Parley = Annotated[Platform, Depends(platform)]
