"""POST /webhooks/telegram: Telegram's updates for the bot (setWebhook with a secret token; `parley telegram
setup`). The secret in X-Telegram-Bot-Api-Secret-Token is checked in constant time (401 and nothing stored if it
does not match); a text message or a button press (callback_query, its data the command) is queued once per
update_id and answered 200 at once; any other update is acknowledged and dropped, so Telegram does not retry it.
The check and the reading are channels/telegram/inbound.py's; this shell maps them to answers."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from channels.telegram import inbound as telegram
from core.errors import InvalidRequest
from functions.observability import capture_lambda_handler
from functions.webhooks import http
from infra.bootstrap import Platform
from infra.channels import credential

PATH = "/webhooks/telegram"

logger = Logger()
metrics = Metrics()


def respond(platform: Platform, raw_event: dict) -> dict:
    event = APIGatewayProxyEventV2(raw_event)
    if not telegram.verified(event.headers, credential(platform.settings, "telegram", "webhook_secret")):
        return http.refuse(401, "unauthorized", "The Telegram secret token is missing or does not match.")
    try:
        inbound = telegram.read(http.body(event), platform.deps.now())
    except InvalidRequest:
        return http.refuse(400, "malformed_body", "The body is not a Telegram update.")
    if inbound is None:
        return http.answer(200, {"ok": True, "ignored": True})
    return http.accept(platform, inbound)


ROUTES = {PATH: respond}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    response = respond(http.platform(), event)
    status = response["statusCode"]
    metrics.add_metric(name="TelegramUpdatesAccepted" if status == 200 else "TelegramUpdatesRefused",
                       unit=MetricUnit.Count, value=1)
    logger.info("telegram update", extra={"status": status})
    return response
