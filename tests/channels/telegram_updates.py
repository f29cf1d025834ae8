"""Telegram as it speaks to Parley, for the Telegram tests: updates shaped as the Bot API posts them to a webhook,
API Gateway (HTTP API, payload 2.0) events wrapping them, and the Bot API's answers, errors included, as
api.telegram.org returns them."""

from __future__ import annotations

import base64
import json
from itertools import count
from urllib.parse import parse_qsl

import httpx

TOKEN = "123456789:AAH-test-token_0123456789abcdefghijk"
API = f"https://api.telegram.org/bot{TOKEN}"
CHAT = 5551234567  # a private chat: its id is the user's id
BOT = {"id": 123456789, "is_bot": True, "first_name": "Parley", "username": "ParleyTestBot"}
USER = {"id": CHAT, "is_bot": False, "first_name": "Alice", "last_name": "Trader", "username": "alice_trades",
        "language_code": "en"}
PRIVATE_CHAT = {"id": CHAT, "first_name": "Alice", "last_name": "Trader", "username": "alice_trades",
                "type": "private"}
DATE = 1795878000  # 2026-11-27T15:00:00Z
_ids = count(8000)


def message_update(update_id: int, text: str, chat: int = CHAT, message_id: int = 41) -> dict:
    message = {"message_id": message_id, "from": dict(USER, id=chat), "chat": dict(PRIVATE_CHAT, id=chat),
               "date": DATE, "text": text}
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, data: str, ticket_text: str, ticket_id: int = 42, chat: int = CHAT,
                    entities: list[dict] | None = None) -> dict:
    """A button press under the bot's ticket message (the ticket as Telegram holds it: plain text and entities)."""
    ticket = {"message_id": ticket_id, "from": BOT, "chat": dict(PRIVATE_CHAT, id=chat), "date": DATE,
              "text": ticket_text, "entities": entities or [],
              "reply_markup": {"inline_keyboard": [[{"text": "Confirm", "callback_data": data}]]}}
    return {"update_id": update_id, "callback_query": {
        "id": "4382bfdwdsb323b2d9", "from": dict(USER, id=chat), "message": ticket,
        "chat_instance": "-7356154331463911112", "data": data}}


def sticker_update(update_id: int) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": 43, "from": USER, "chat": PRIVATE_CHAT, "date": DATE,
        "sticker": {"file_id": "CAACAgIAAxkBAAIB", "file_unique_id": "AgADBAADwDZPEw", "type": "regular",
                    "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}}}


def edited_update(update_id: int, text: str) -> dict:
    update = message_update(update_id, text)
    message = update.pop("message")
    message["edit_date"] = DATE + 5
    return {"update_id": update_id, "edited_message": message}


def event(body: bytes | str | dict, secret: str | None, path: str = "/webhooks/telegram") -> dict:
    """The HTTP API event API Gateway hands the webhook's Lambda function for Telegram's POST."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body if isinstance(body, bytes) else body.encode()
    headers = {"content-type": "application/json", "host": "parley.example.com", "content-length": str(len(raw))}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    return {
        "version": "2.0", "routeKey": f"POST {path}", "rawPath": path, "rawQueryString": "", "headers": headers,
        "requestContext": {"http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "91.108.6.64", "userAgent": ""},
                           "requestId": "JKJaXmPLvHcESHA=", "routeKey": f"POST {path}", "stage": "$default"},
        "body": base64.b64encode(raw).decode(), "isBase64Encoded": True,
    }


# --- the Bot API's answers --------------------------------------------------------------------------------


def sent(chat: int = CHAT, text: str = "ok", message_id: int | None = None) -> httpx.Response:
    """sendMessage's answer: the Message as sent."""
    return httpx.Response(200, json={"ok": True, "result": {
        "message_id": message_id if message_id is not None else next(_ids), "from": BOT,
        "chat": dict(PRIVATE_CHAT, id=chat), "date": DATE, "text": text}})


def edited(chat: int = CHAT, message_id: int = 42, text: str = "ok") -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": {
        "message_id": message_id, "from": BOT, "chat": dict(PRIVATE_CHAT, id=chat), "date": DATE,
        "edit_date": DATE + 9, "text": text}})


def true() -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": True})


def me() -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": dict(
        BOT, can_join_groups=True, can_read_all_group_messages=False, supports_inline_queries=False,
        can_connect_to_business=False, has_main_web_app=False)})


def flood(retry_after: int) -> httpx.Response:
    return httpx.Response(429, json={"ok": False, "error_code": 429,
                                     "description": f"Too Many Requests: retry after {retry_after}",
                                     "parameters": {"retry_after": retry_after}})


def blocked() -> httpx.Response:
    return httpx.Response(403, json={"ok": False, "error_code": 403,
                                     "description": "Forbidden: bot was blocked by the user"})


def bad_request(description: str) -> httpx.Response:
    return httpx.Response(400, json={"ok": False, "error_code": 400, "description": f"Bad Request: {description}"})


def unauthorized() -> httpx.Response:
    return httpx.Response(401, json={"ok": False, "error_code": 401, "description": "Unauthorized"})


def form(request: httpx.Request) -> dict[str, str]:
    """A Bot API call's parameters (python-telegram-bot posts them form-encoded, objects as JSON)."""
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True, strict_parsing=True))
