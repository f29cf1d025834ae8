"""POST /webhooks/signals/{source}: authenticate, publish the signal as a ``webhook.event``, answer 202. The
work (a notification, or a ticket to confirm) happens in the stream consumer, after the answer: TradingView
waits at most 3 s. Refusals store nothing; errors map to statuses here, once, for this door."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from core import errors
from core.signals import ReplayedSignal
from core.usecases.market import accept_signal
from functions.webhooks.http import answer, body
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
        raw = body(event)
        envelope = accept_signal(platform.deps, platform.events, source, event.headers.get("x-parley-signature"),
                                  raw)
    except errors.ParleyError as exc:
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
        return answer(status, {"error": {"code": exc.code, "message": exc.message}})
    return answer(202, {"id": envelope.id, "status": "accepted"})

