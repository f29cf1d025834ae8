"""SendGrid's two webhooks (API Gateway HTTP API, payload v2; the same paths under `parley serve`).

POST /webhooks/sendgrid/inbound: Inbound Parse. The URL configured at SendGrid carries ``?token=``, compared
in constant time with PARLEY_SENDGRID_INBOUND_TOKEN (missing 401, wrong 403); where a Parse security policy
is set (PARLEY_SENDGRID_INBOUND_PUBLIC_KEY) its ECDSA signature must verify too. The email is read, deduplicated
on its Message-Id and queued; the conversation worker answers it. Automatic email (an auto-reply, a bounce,
RFC 3834) is acknowledged with 200 and never queued, so two robots cannot write to each other forever.

POST /webhooks/sendgrid/events: the signed Event Webhook (PARLEY_SENDGRID_EVENT_PUBLIC_KEY; no key, a bad
signature, or one signed more than five minutes ago: 403). ``delivered`` marks the message Parley sent (found
by its ``parley_message_id`` custom arg) delivered, ``bounce`` and ``dropped`` failed with the reason; other
events change nothing.

A refusal stores and queues nothing. The checks and the reading are channels/sendgrid/inbound.py's (sendgrid's
verification helper imported only when a signature is checked); this shell maps them to answers.
"""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from channels.sendgrid import inbound as sendgrid
from core import errors
from core.usecases.messaging import record_receipt
from functions.observability import capture_lambda_handler
from functions.webhooks import http
from functions.webhooks.http import accept, answer, body, refuse
from infra.bootstrap import Platform
from infra.channels import credential

SIGNATURE, TIMESTAMP = sendgrid.SIGNATURE_HEADER, sendgrid.TIMESTAMP_HEADER

logger = Logger()
metrics = Metrics()


def respond_inbound(platform: Platform, raw_event: dict) -> dict:
    event = APIGatewayProxyEventV2(raw_event)
    token = (event.query_string_parameters or {}).get("token")
    if not token:
        return refuse(401, "unauthorized", "The inbound URL carries no token.")
    if not sendgrid.same_token(token, credential(platform.settings, "sendgrid", "inbound_token")):
        return refuse(403, "forbidden", "The token does not match.")
    headers = _headers(event)
    try:
        raw = body(event)
        key = credential(platform.settings, "sendgrid", "inbound_public_key")
        if key and not sendgrid.signed(raw, headers.get(SIGNATURE), headers.get(TIMESTAMP), key, platform.deps.now()):
            return refuse(403, "forbidden", "The Inbound Parse signature does not verify.")
        fields = sendgrid.form_fields(raw, headers.get("content-type", ""))
        if sendgrid.automatic(fields):  # an auto-reply or a bounce: acknowledged (no retry) and never answered
            return answer(200, {"ok": True, "ignored": "automatic"})
        inbound = sendgrid.read_inbound(fields, platform.deps.now())
    except (errors.InvalidRequest, sendgrid.MalformedEmail) as exc:
        return refuse(400, "malformed_body", str(exc))
    return accept(platform, inbound)


def respond_events(platform: Platform, raw_event: dict) -> dict:
    event = APIGatewayProxyEventV2(raw_event)
    headers = _headers(event)
    key = credential(platform.settings, "sendgrid", "event_public_key")
    if not key:
        return refuse(403, "forbidden", "No Event Webhook verification key is configured.")
    try:
        raw = body(event)
    except errors.InvalidRequest as exc:
        return refuse(400, "malformed_body", exc.message)
    if not sendgrid.signed(raw, headers.get(SIGNATURE), headers.get(TIMESTAMP), key, platform.deps.now()):
        return refuse(403, "forbidden", "The Event Webhook signature does not verify.")
    try:
        events = json.loads(raw)
    except ValueError:
        events = None
    if not isinstance(events, list):
        return refuse(400, "malformed_body", "Expected a JSON array of events.")
    receipts = [sendgrid.read_event(item) for item in events if isinstance(item, dict)]
    try:
        updated = sum(record_receipt(platform.deps, r.message_id, r.status, r.error) for r in receipts if r)
    except errors.StoreError:
        return refuse(503, "unavailable", "Try again shortly.")
    return answer(200, {"ok": True, "updated": updated})


ROUTES = {"/webhooks/sendgrid/inbound": respond_inbound, "/webhooks/sendgrid/events": respond_events}


def _headers(event: APIGatewayProxyEventV2) -> dict[str, str]:
    return {name.lower(): value for name, value in (event.headers or {}).items()}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    """Both routes in one function: the route key (``POST /webhooks/sendgrid/...``) picks the responder."""
    path = http.route_of(event, ROUTES)
    respond = ROUTES.get(path)
    if respond is None:
        response, kind = refuse(404, "not_found", "No such SendGrid webhook."), "Unrouted"
    else:
        response = respond(http.platform(), event)
        kind = "Inbound" if respond is respond_inbound else "Events"
    status = response["statusCode"]
    metrics.add_metric(name=f"SendGrid{kind}{'Accepted' if status == 200 else 'Refused'}", unit=MetricUnit.Count,
                       value=1)
    logger.info("sendgrid webhook", extra={"route": path, "status": status})
    return response
