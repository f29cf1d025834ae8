"""Telegram's updates for the bot, as the conversation queue carries them: the secret token Telegram sends with
every update (setWebhook's ``secret_token``) checked in constant time, a text message or a button press read
into an Inbound. Only private chats: a group's chat id would let every member speak for the linked account.
python-telegram-bot is imported on the first verified update, not at cold start."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from channels.verify import same_secret
from core.channels import Channel, Inbound
from core.errors import InvalidRequest

if TYPE_CHECKING:
    from telegram import Update

SECRET_HEADER = "x-telegram-bot-api-secret-token"


def verified(headers: Mapping[str, str], secret: str) -> bool:
    """Did Telegram send this (its secret token header matches the configured webhook secret)?"""
    return same_secret(headers.get(SECRET_HEADER), secret)


def read(raw: bytes, now: datetime) -> Inbound | None:
    """The update in ``raw`` as an Inbound; None for an update Parley does not answer (acknowledge and drop it).
    InvalidRequest if the body is not a Telegram update."""
    try:
        update = read_update(raw)
    except (ValueError, TypeError, KeyError):
        raise InvalidRequest("The body is not a Telegram update.", code="malformed_body") from None
    return to_inbound(update, now)


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
