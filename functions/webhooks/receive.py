"""POST /webhooks/signals/{source}: authenticate, publish the signal as a ``webhook.event``, answer 202. The
work (a notification, or a ticket to confirm) happens in the stream consumer, after the answer: TradingView
waits at most 3 s. Refusals store nothing; errors map to statuses here, once, for this door."""

from __future__ import annotations

import base64
import binascii
import json

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from core import errors
from core.signals import ReplayedSignal
from core.usecases import signals
from infra.bootstrap import Platform

STATUS = [
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (ReplayedSignal, 409),
    (errors.InvalidRequest, 422),
    (errors.StoreError, 503),
]


def respond(platform: Platform, raw_event: dict) -> dict:
    event = APIGatewayProxyEventV2(raw_event)
    source = (event.path_parameters or {}).get("source", "")
    try:
        body = _body(event)
        envelope = signals.accept(platform.deps, platform.events, source, event.headers.get("x-parley-signature"),
                                  body)
    except errors.ParleyError as exc:
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
        return _answer(status, {"error": {"code": exc.code, "message": exc.message}})
    return _answer(202, {"id": envelope.id, "status": "accepted"})


def _body(event: APIGatewayProxyEventV2) -> bytes:
    text = event.body or ""
    if not event.is_base64_encoded:
        return text.encode()
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidRequest("The body is not valid base64.", code="malformed_body") from None


def _answer(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
