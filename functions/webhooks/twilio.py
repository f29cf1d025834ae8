"""POST /webhooks/twilio/sms and /webhooks/twilio/whatsapp: Twilio's "A message comes in" webhook; POST
/webhooks/twilio/status: the status callback of each message Parley sent.

Verify X-Twilio-Signature (twilio's RequestValidator, the account's auth token, and the URL Twilio posted to:
PARLEY_PUBLIC_BASE_URL plus the path), drop a replayed MessageSid, queue the message for the conversation
worker and answer an empty TwiML response at once: the replies are sent later, through the REST API. A request
that is not signed for this URL (or arrives when no auth token or public URL is configured) is refused with 403
and nothing is stored or queued.

The status callback (its URL, ``?message=<Parley's message id>``, is set on every send by channels/twilio.py) is
verified the same way and deduplicated on MessageSid + MessageStatus. ``delivered`` marks the stored message
delivered; ``failed``/``undelivered`` marks it failed with Twilio's ErrorCode (63016 outside the WhatsApp window,
21610 opted out: the number is marked so) and, for a notification, puts it back on the notify queue once so the
trader's next channel is tried. Other statuses (queued, sent, read ...) change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ValidationError
from twilio.request_validator import RequestValidator

from core import errors
from core.channels import Channel, Inbound, MessageStatus
from core.usecases.outbound import opt_out
from core.usecases.receipts import fall_back, record_receipt
from functions.observability import capture_lambda_handler
from functions.webhooks import http
from infra.bootstrap import Platform
from infra.channels import TWILIO_STATUS_PATH, credential

SMS_PATH, WHATSAPP_PATH = "/webhooks/twilio/sms", "/webhooks/twilio/whatsapp"
STATUS_PATH = TWILIO_STATUS_PATH
RECEIPTS = {"delivered": MessageStatus.DELIVERED, "failed": MessageStatus.FAILED,
            "undelivered": MessageStatus.FAILED}
REASONS = {"63016": "outside_window", "21610": "opted_out"}  # as channels/twilio.py names them on a send
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
    sid, state = params.get("MessageSid", ""), params.get("MessageStatus", "")
    message_id = (event.query_string_parameters or {}).get("message", "")
    if not sid or not state:
        return http.refuse(400, "malformed_body", "MessageSid and MessageStatus are required.")
    status = RECEIPTS.get(state)
    if status is None or not message_id:  # a passing status, or a message Parley did not send: nothing to do
        return http.answer(200, {"ok": True, "updated": False})
    try:
        return http.answer(200, {"ok": True, **_receipt(platform, message_id, sid, state, status, params)})
    except errors.StoreError:
        return http.refuse(503, "unavailable", "Try again shortly.")


def _receipt(platform: Platform, message_id: str, sid: str, state: str, status: MessageStatus,
             params: dict[str, str]) -> dict:
    """Record one status once (a replay of MessageSid + MessageStatus changes nothing); a failed notification
    goes back on the notify queue for its next channel."""
    deps, key = platform.deps, f"twilio-status:{sid}:{state}"
    if deps.store.idempotency.claim(key, key, now=deps.now(), ttl_seconds=REPLAY_TTL_SECONDS) is not None:
        return {"updated": False, "duplicate": True}
    try:
        code = params.get("ErrorCode", "")
        error = ""
        if status is MessageStatus.FAILED:
            error = REASONS.get(code) or (f"{state}: {code}" if code else state)
        updated = record_receipt(deps, message_id, status, error)
        fell_back = False
        if updated and status is MessageStatus.FAILED:
            message = deps.store.messages.get(message_id)
            if error == "opted_out" and message is not None:
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
    sid, sender = params.get("MessageSid", ""), params.get("From", "")
    if not sid or not sender:
        return http.refuse(400, "malformed_body", "MessageSid and From are required.")
    if sender.startswith("whatsapp:") != (channel is Channel.WHATSAPP):
        return http.refuse(400, "malformed_body", f"The {channel.value} webhook got a message from {sender!r}.")
    try:
        inbound = Inbound(id=f"{channel.value}:{sid}", channel=channel, sender=sender, text=params.get("Body", ""),
                          received_at=platform.deps.now())
    except ValidationError:
        return http.refuse(400, "malformed_body", "MessageSid or From is not what Twilio sends.")
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
    """Twilio signs the URL it called (with its query) and the form fields, with the account's auth token. The URL's
    base is PARLEY_PUBLIC_BASE_URL (a custom domain), else the API's own: the domain API Gateway received it on."""
    signature = event.headers.get("x-twilio-signature")
    own = event.request_context.get("domainName")
    base = platform.settings.public_base_url.rstrip("/") or (f"https://{own}" if own else "")
    if not signature or not base:
        return False
    token = credential(platform.settings, "twilio", "auth_token")
    if not token:
        return False
    query = event.raw_query_string
    url = f"{base}{path}?{query}" if query else f"{base}{path}"
    return bool(RequestValidator(token).validate(url, params, signature))


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
