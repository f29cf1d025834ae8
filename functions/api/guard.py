"""What every API route checks before FastAPI reads a body: who is calling, then the body's size and type.

FastAPI parses a body before it runs any dependency, so a malformed body from a stranger would answer 400
before the missing token's 401, and a huge body would be read whole first. ``GuardedRoute`` runs first:
authentication (for routes that depend on ``caller``), then a body of at most 64 KB, sent as JSON, that
parses. Every router of the API is made with ``api_router()`` so that each of its routes is guarded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from core.errors import BadRequest
from functions.api.auth import authenticate, caller
from functions.api.errors import BodyTooLarge, UnsupportedMediaType

MAX_BODY_BYTES = 64 * 1024


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return dependant.call is call or any(_depends_on(d, call) for d in dependant.dependencies)


def is_json(content_type: str | None) -> bool:
    """application/json or any application/*+json, with or without parameters (charset)."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


async def read_json_body(request: Request) -> None:
    """Read the body, at most MAX_BODY_BYTES of it, and check that it is JSON; FastAPI then reads the cached
    bytes. A declared Content-Length over the limit is refused before a byte is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"The body is larger than {MAX_BODY_BYTES // 1024} KB.", limit=MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"The body is larger than {MAX_BODY_BYTES // 1024} KB.", limit=MAX_BODY_BYTES)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette's cache of the body: FastAPI's request.body() returns it
    if not body:
        return  # no body: FastAPI reports the missing field
    if not is_json(request.headers.get("content-type")):
        raise UnsupportedMediaType("Send the body as JSON, with Content-Type: application/json.")
    try:
        json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past the parser's depth
        raise BadRequest("The request body is not valid JSON.", code="malformed_json") from None


class GuardedRoute(APIRoute):
    """An APIRoute that authenticates, then bounds and checks the body, before FastAPI handles the request."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        authenticated = _depends_on(self.dependant, caller)
        takes_body = self.body_field is not None

        async def guarded(request: Request) -> Response:
            if authenticated:
                await run_in_threadpool(authenticate, request)
            if takes_body:
                await read_json_body(request)
            return await handler(request)

        return guarded


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes are guarded (see the module docstring)."""
    return APIRouter(route_class=GuardedRoute, **kwargs)
