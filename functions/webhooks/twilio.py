"""POST /webhooks/twilio/sms and /webhooks/twilio/whatsapp: Twilio's "A message comes in" webhook; POST
/webhooks/twilio/status: the status callback of each message Parley sent.

Verify X-Twilio-Signature (twilio's RequestValidator, the account's auth token, and the URL Twilio posted to:
PARLEY_PUBLIC_BASE_URL plus the path), drop a replayed MessageSid, queue the message for the conversation
worker and answer an empty TwiML response at once: the replies are sent later, through the REST API. A request
that is not signed for this URL (or arrives when no auth token or public URL is configured) is refused with 403
and nothing is stored or queued.

The status callback (its URL, ``?message=<Parley's message id>``, is set on every send by
channels/twilio/sender.py) is verified the same way and deduplicated on MessageSid + MessageStatus. ``delivered``
marks the stored message delivered; ``failed``/``undelivered`` marks it failed with Twilio's ErrorCode (63016
outside the WhatsApp window, 21610 opted out: the number is marked so) and, for a notification, puts it back on
the notify queue once so the trader's next channel is tried. Other statuses (queued, sent, read ...) change
nothing. The signature check and the reading of each form are channels/twilio/inbound.py's; this shell maps them
to answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from channels.twilio import inbound as twilio
from core import errors
from core.channels import Channel, MessageStatus
from core.usecases.messaging import fall_back, opt_out, record_receipt
from functions.observability import capture_lambda_handler
from functions.webhooks import http
from infra.bootstrap import Platform
from infra.channels import TWILIO_STATUS_PATH, credential

SMS_PATH, WHATSAPP_PATH = "/webhooks/twilio/sms", "/webhooks/twilio/whatsapp"
STATUS_PATH = TWILIO_STATUS_PATH
REPLAY_TTL_SECONDS = 7 * 24 * 3600  # Twilio retries a callback for far less than a week
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

logger = Logger()
metrics = Metrics()


def respond_sms(platform: Platform, raw_event: dict) -> dict:
    return respond(platform, raw_event, Channel.SMS, SMS_PATH)


def respond_whatsapp(platform: Platform, raw_event: dict) -> dict:
    return respond(platform, raw_event, Channel.WHATSAPP, WHATSAPP_PATH)


def respond_status(platform: Platform, raw_event: dict) -> dict:
    event = APIGatewayProxyEventV2(raw_event)
    params = _verified_form(platform, event, STATUS_PATH)
    if isinstance(params, Refusal):
        return params.response
    try:
        receipt = twilio.read_status(params)
    except errors.InvalidRequest as malformed:
        return http.refuse(400, malformed.code, malformed.message)
    message_id = (event.query_string_parameters or {}).get("message", "")
    if receipt.status is None or not message_id:  # a passing status, or a message Parley did not send
        return http.answer(200, {"ok": True, "updated": False})
    try:
        return http.answer(200, {"ok": True, **_receipt(platform, message_id, receipt, receipt.status)})
    except errors.StoreError:
        return http.refuse(503, "unavailable", "Try again shortly.")


def _receipt(platform: Platform, message_id: str, receipt: twilio.Receipt, status: MessageStatus) -> dict:
    """Record one status once (a replay of MessageSid + MessageStatus changes nothing); a failed notification
    goes back on the notify queue for its next channel."""
    deps, key = platform.deps, f"twilio-status:{receipt.sid}:{receipt.state}"
    if deps.store.idempotency.claim(key, key, now=deps.now(), ttl_seconds=REPLAY_TTL_SECONDS) is not None:
        return {"updated": False, "duplicate": True}
    try:
        updated = record_receipt(deps, message_id, status, receipt.error)
        fell_back = False
        if updated and status is MessageStatus.FAILED:
            message = deps.store.messages.get(message_id)
            if receipt.error == "opted_out" and message is not None:
                opt_out(deps, message.channel, message.to)
            fell_back = fall_back(deps, platform.notify_queue, message_id)
    except Exception:
        deps.store.idempotency.release(key)  # not recorded: Twilio's retry may try again
        raise
    deps.store.idempotency.complete(key, {"updated": updated})
    return {"updated": updated, "fell_back": fell_back}


ROUTES = {SMS_PATH: respond_sms, WHATSAPP_PATH: respond_whatsapp, STATUS_PATH: respond_status}


def respond(platform: Platform, raw_event: dict, channel: Channel, path: str) -> dict:
    event = APIGatewayProxyEventV2(raw_event)
    params = _verified_form(platform, event, path)
    if isinstance(params, Refusal):
        return params.response
    try:
        inbound = twilio.read_message(params, channel, platform.deps.now())
    except errors.InvalidRequest as malformed:
        return http.refuse(400, malformed.code, malformed.message)
    response = http.accept(platform, inbound)
    if response["statusCode"] != 200:
        return response
    return http.answer(200, content_type="text/xml", text=EMPTY_TWIML)


@dataclass(frozen=True)
class Refusal:
    """The answer to a request whose form is malformed (400) or not signed by Twilio for its URL (403)."""

    response: dict


def _verified_form(platform: Platform, event: APIGatewayProxyEventV2, path: str) -> dict[str, str] | Refusal:
    """The posted form fields, once the body parses and X-Twilio-Signature matches them and ``path``; else the
    refusal to answer. Every Twilio route (inbound messages and status callbacks) checks the same way."""
    try:
        params = http.form(event)
    except errors.InvalidRequest as malformed:
        return Refusal(http.refuse(400, malformed.code, malformed.message))
    if not signed(platform, event, path, params):
        return Refusal(http.refuse(403, "forbidden", "The request is not signed by Twilio for this URL."))
    return params


def signed(platform: Platform, event: APIGatewayProxyEventV2, path: str, params: dict[str, str]) -> bool:
    """The URL's base is PARLEY_PUBLIC_BASE_URL (a custom domain), else the API's own: the domain API Gateway
    received it on. The check itself is channels/twilio/inbound.py's."""
    own = event.request_context.get("domainName")
    base = platform.settings.public_base_url.rstrip("/") or (f"https://{own}" if own else "")
    url = twilio.posted_url(base, path, event.raw_query_string)
    return twilio.signed(credential(platform.settings, "twilio", "auth_token"), url, params,
                         event.headers.get(twilio.SIGNATURE_HEADER))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    """All three routes: the path says SMS, WhatsApp or a status callback."""
    path = http.route_of(event, ROUTES)
    respond_route = ROUTES.get(path)
    if respond_route is None:
        response = http.refuse(404, "not_found", f"No Twilio webhook at {path}.")
    else:
        response = respond_route(http.platform(), event)
    status = response["statusCode"]
    metrics.add_metric(name="MessagesAccepted" if status == 200 else "MessagesRefused", unit=MetricUnit.Count,
                       value=1)
    logger.info("twilio webhook", extra={"status": status, "path": path})
    return response
