"""POST /webhooks/telegram: Telegram's updates for the bot (setWebhook with a secret token; `parley telegram
setup`). The secret in X-Telegram-Bot-Api-Secret-Token is checked in constant time (401 and nothing stored if it
does not match); a text message or a button press (callback_query, its data the command) is queued once per
update_id and answered 200 at once; any other update is acknowledged and dropped, so Telegram does not retry it.
python-telegram-bot is imported on the first verified update, not at cold start."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from core.channels import Channel, Inbound
from core.errors import InvalidRequest
from functions.observability import capture_lambda_handler
from functions.webhooks import http
from infra.bootstrap import Platform
from infra.channels import credential

if TYPE_CHECKING:
    from telegram import Update

PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"

logger = Logger()
metrics = Metrics()


def respond(platform: Platform, raw_event: dict) -> dict:
    event = APIGatewayProxyEventV2(raw_event)
    expected = credential(platform.settings, "telegram", "webhook_secret")
    if not http.same_secret(event.headers.get(SECRET_HEADER), expected):
        return http.refuse(401, "unauthorized", "The Telegram secret token is missing or does not match.")
    try:
        update = read_update(http.body(event))
    except (InvalidRequest, ValueError, TypeError, KeyError):
        return http.refuse(400, "malformed_body", "The body is not a Telegram update.")
    inbound = to_inbound(update, platform.deps.now())
    if inbound is None:
        return http.answer(200, {"ok": True, "ignored": True})
    return http.accept(platform, inbound)


def read_update(raw: bytes) -> Update:
    from telegram import Update

    data = json.loads(raw)
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise ValueError("not an update")
    return Update.de_json(data, bot=None)


def to_inbound(update: Update, now: datetime) -> Inbound | None:
    """A text message or a button press as the conversation queue carries it; None for anything else. A press
    carries what the sender needs to answer it and edit its ticket (the ticket's text as HTML)."""
    from telegram import Message

    key = f"telegram:{update.update_id}"
    message = update.message
    if message is not None and message.chat.type != "private":
        return None  # a group's chat id would let every member speak for the linked account: private chats only
    if message is not None and message.text:
        chat = str(message.chat.id)
        return Inbound(id=key, channel=Channel.TELEGRAM, sender=chat, text=message.text, received_at=now,
                       context={"chat_id": chat, "message_id": str(message.message_id)})
    query = update.callback_query
    if query is None or not query.data:
        return None
    ticket = query.message  # None for a button under an inline-mode message; inaccessible when too old
    if ticket is not None and ticket.chat.type != "private":
        return None
    chat = str(ticket.chat.id if ticket is not None else query.from_user.id)
    context = {"callback_query_id": query.id, "chat_id": chat}
    if isinstance(ticket, Message):
        context["message_id"] = str(ticket.message_id)
        if ticket.text:
            context["message_html"] = ticket.text_html
    return Inbound(id=key, channel=Channel.TELEGRAM, sender=chat, text=query.data, received_at=now, context=context)


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
