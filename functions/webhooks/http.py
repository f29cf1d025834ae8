"""What every webhook handler shares: the raw body of an API Gateway (HTTP API, payload v2) event, the accept
step (dedup, enqueue) and the answer. A refusal stores and queues nothing; a queue that is down answers 503 so
the provider retries. The providers' own checks are channels/<provider>/inbound.py's."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from core import errors
from core.channels import Inbound
from core.usecases.messaging import accept_message
from infra.bootstrap import Platform, build_platform

_platform: Platform | None = None


def platform() -> Platform:
    """The Lambda function's platform, built on its first request and kept while it is warm (the provider
    modules hold only functions of a platform, so the local server mounts them on its own)."""
    global _platform
    if _platform is None:
        _platform = build_platform()
    return _platform


def body(event: APIGatewayProxyEventV2) -> bytes:
    text = event.body or ""
    if not event.is_base64_encoded:
        return text.encode()
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidRequest("The body is not valid base64.", code="malformed_body") from None


def form(event: APIGatewayProxyEventV2) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (Twilio's), as a dict (the last value of a repeated name)."""
    try:
        return dict(parse_qsl(body(event).decode(), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        raise errors.InvalidRequest("The form body is not UTF-8.", code="malformed_body") from None


def route_of(raw_event: dict, routes: Mapping[str, Callable[[Platform, dict], dict]]) -> str:
    """Which of a function's ``routes`` an HTTP API event is for: the route key's path ("POST /webhooks/x"), else
    the raw path ending in one of them (a stage prefix in front), else the raw path itself (no route: a 404)."""
    route = str(raw_event.get("routeKey") or "").partition(" ")[2]
    if route in routes:
        return route
    raw_path = str(raw_event.get("rawPath") or "")
    return next((path for path in routes if raw_path.endswith(path)), raw_path)


def accept(platform: Platform, inbound: Inbound) -> dict:
    """Queue the message (a replay is acknowledged and dropped): 200, or 503 if the queue or store is down."""
    try:
        queued = accept_message(platform.deps, platform.inbox, inbound)
    except errors.StoreError:
        return answer(503, {"error": {"code": "unavailable", "message": "Try again shortly."}})
    return answer(200, {"ok": True, "duplicate": not queued})


def refuse(status: int, code: str, message: str) -> dict:
    return answer(status, {"error": {"code": code, "message": message}})


def answer(status: int, payload: dict | None = None, *, content_type: str = "application/json",
           text: str | None = None) -> dict:
    content = text if text is not None else json.dumps(payload or {})
    return {"statusCode": status, "headers": {"content-type": content_type}, "body": content}
