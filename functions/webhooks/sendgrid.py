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

A refusal stores and queues nothing. sendgrid's verification helper is imported only when a signature is
checked, so a cold start pays for the standard library's email parser only.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from channels.sendgrid.inbound import MalformedEmail, automatic, form_fields, read_inbound
from core import errors
from core.channels import MessageStatus
from core.signals import fresh
from core.usecases.receipts import record_receipt
from functions.observability import capture_lambda_handler
from functions.webhooks import http
from functions.webhooks.http import accept, answer, body, refuse, same_secret
from infra.bootstrap import Platform
from infra.channels import credential

if TYPE_CHECKING:
    from sendgrid.helpers.eventwebhook import EventWebhook

SIGNATURE = "x-twilio-email-event-webhook-signature"
TIMESTAMP = "x-twilio-email-event-webhook-timestamp"
CUSTOM_ARG = "parley_message_id"  # set on every email by channels/sendgrid/sender.py
RECEIPTS = {"delivered": MessageStatus.DELIVERED, "bounce": MessageStatus.FAILED, "dropped": MessageStatus.FAILED}

logger = Logger()
metrics = Metrics()


def respond_inbound(platform: Platform, raw_event: dict) -> dict:
    event = APIGatewayProxyEventV2(raw_event)
    token = (event.query_string_parameters or {}).get("token")
    if not token:
        return refuse(401, "unauthorized", "The inbound URL carries no token.")
    if not same_secret(token, credential(platform.settings, "sendgrid", "inbound_token")):
        return refuse(403, "forbidden", "The token does not match.")
    headers = _headers(event)
    try:
        raw = body(event)
        key = credential(platform.settings, "sendgrid", "inbound_public_key")
        if key and not signed(raw, headers.get(SIGNATURE), headers.get(TIMESTAMP), key, platform.deps.now()):
            return refuse(403, "forbidden", "The Inbound Parse signature does not verify.")
        fields = form_fields(raw, headers.get("content-type", ""))
        if automatic(fields):  # an auto-reply or a bounce: acknowledged (no retry) and never answered
            return answer(200, {"ok": True, "ignored": "automatic"})
        inbound = read_inbound(fields, platform.deps.now())
    except (errors.InvalidRequest, MalformedEmail) as exc:
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
    if not signed(raw, headers.get(SIGNATURE), headers.get(TIMESTAMP), key, platform.deps.now()):
        return refuse(403, "forbidden", "The Event Webhook signature does not verify.")
    try:
        events = json.loads(raw)
    except ValueError:
        events = None
    if not isinstance(events, list):
        return refuse(400, "malformed_body", "Expected a JSON array of events.")
    try:
        updated = sum(_receipt(platform, item) for item in events if isinstance(item, dict))
    except errors.StoreError:
        return refuse(503, "unavailable", "Try again shortly.")
    return answer(200, {"ok": True, "updated": updated})


ROUTES = {"/webhooks/sendgrid/inbound": respond_inbound, "/webhooks/sendgrid/events": respond_events}


def signed(raw: bytes, signature: str | None, timestamp: str | None, public_key: str, now: datetime) -> bool:
    """Does ``signature`` (base64 ECDSA over timestamp + body) verify with SendGrid's public key, and was it made
    at most five minutes ago (core.signals.fresh)? A captured request is worthless once that has passed."""
    if not signature or not timestamp or not timestamp.strip().isdigit() or not fresh(int(timestamp), now):
        return False
    try:
        verifier = _verifier(public_key)
        try:
            return bool(verifier.verify_signature(raw.decode(), signature, timestamp))
        except UnicodeDecodeError:  # an 8-bit email body: verify the bytes with the helper's key itself
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec

            verifier.public_key.verify(base64.b64decode(signature), timestamp.encode() + raw, ec.ECDSA(hashes.SHA256()))
            return True
    except Exception:  # a malformed signature or key, or InvalidSignature: not verified either way
        return False


@lru_cache(maxsize=4)
def _verifier(public_key: str) -> EventWebhook:
    from sendgrid.helpers.eventwebhook import EventWebhook

    return EventWebhook(public_key)


def _receipt(platform: Platform, item: dict) -> bool:
    status = RECEIPTS.get(str(item.get("event", "")))
    message_id = item.get(CUSTOM_ARG)
    if status is None or not isinstance(message_id, str) or not message_id:
        return False
    error = ""
    if status is MessageStatus.FAILED:
        error = f"{item['event']}: {item.get('reason') or item.get('status') or 'no reason given'}"
    return record_receipt(platform.deps, message_id, status, error)


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
