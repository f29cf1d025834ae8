"""POST /webhooks/twilio/sms and /webhooks/twilio/whatsapp: Twilio's "A message comes in" webhook.

Verify X-Twilio-Signature (twilio's RequestValidator, the account's auth token, and the URL Twilio posted to:
PARLEY_PUBLIC_BASE_URL plus the path), drop a replayed MessageSid, queue the message for the conversation
worker and answer an empty TwiML response at once: the replies are sent later, through the REST API. A request
that is not signed for this URL (or arrives when no auth token or public URL is configured) is refused with 403
and nothing is stored or queued.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ValidationError
from twilio.request_validator import RequestValidator

from core import errors
from core.channels import Channel, Inbound
from functions.observability import capture_lambda_handler
from functions.webhooks import http
from infra.bootstrap import Platform
from infra.channels import credential

SMS_PATH, WHATSAPP_PATH = "/webhooks/twilio/sms", "/webhooks/twilio/whatsapp"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

logger = Logger()
metrics = Metrics()


def respond_sms(platform: Platform, raw_event: dict) -> dict:
    return respond(platform, raw_event, Channel.SMS, SMS_PATH)


def respond_whatsapp(platform: Platform, raw_event: dict) -> dict:
    return respond(platform, raw_event, Channel.WHATSAPP, WHATSAPP_PATH)


ROUTES = {SMS_PATH: respond_sms, WHATSAPP_PATH: respond_whatsapp}


def respond(platform: Platform, raw_event: dict, channel: Channel, path: str) -> dict:
    event = APIGatewayProxyEventV2(raw_event)
    try:
        params = http.form(event)
    except errors.InvalidRequest as malformed:
        return http.refuse(400, malformed.code, malformed.message)
    if not signed(platform, event, path, params):
        return http.refuse(403, "forbidden", "The request is not signed by Twilio for this URL.")
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
    """Both routes: the path says SMS or WhatsApp."""
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
