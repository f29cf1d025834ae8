"""Telegram through python-telegram-bot's plain ``Bot`` (no polling, no Application): replies in HTML parse mode,
split at the 4,096-character limit, buttons as an inline keyboard whose press is answered and whose ticket is
edited to show the outcome; ``set_up_bot`` points the bot's webhook at Parley and sets its command menu.

The Bot is async; the sender runs it on one event loop of its own, kept with the Bot's HTTP connections while
the process is warm (a Lambda container), one call at a time."""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError

from core.channels import Action, Channel, Inbound, OutboundMessage
from core.errors import ParleyError
from core.ports.channel import DeliveryFailed, Sender

MAX_TEXT = 4096  # characters of one message, counted here in UTF-16 units of the HTML sent (an upper bound)
MAX_CALLBACK_DATA = 64  # bytes of a button's callback_data
MAX_RETRY_WAIT = 3.0  # seconds: a longer flood-control wait goes back to the queue (or the next channel)
BUTTONS_PER_ROW = 3
ALLOWED_UPDATES = ("message", "callback_query")  # what the webhook reads; setWebhook asks for only these
_CODE = re.compile(r"`([^`\n]+)`")

T = TypeVar("T")
Call = Callable[[Bot], Awaitable[T]]


def render(text: str) -> str:
    """Plain text as Telegram HTML: <, > and & escaped, `code` in backticks as <code>."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text, quote=False))


def size(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in pieces whose rendering fits one message, cut at line ends (a line longer than a message is cut
    at a space, else anywhere). The pieces joined with newlines give ``text`` back, except where a line was cut."""
    chunks: list[str] = []
    lines: list[str] = []
    used = 0

    def flush() -> None:
        nonlocal lines, used
        if lines:
            chunks.append("\n".join(lines))
        lines, used = [], 0

    for line in text.split("\n"):
        *whole, rest = _cut(line, limit)
        if whole:
            flush()
            chunks.extend(whole)
        cost = size(render(rest)) + (1 if lines else 0)
        if lines and used + cost > limit:
            flush()
            cost -= 1
        lines.append(rest)
        used += cost
    flush()
    return chunks


def _cut(line: str, limit: int) -> list[str]:
    pieces = []
    while size(render(line)) > limit:
        low, high = 1, len(line)  # the longest prefix that fits: rendering only grows with the prefix
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if size(render(line[:middle])) <= limit else (low, middle - 1)
        space = line.rfind(" ", 0, low)
        end = space + 1 if space > low // 2 else low
        pieces.append(line[:end])
        line = line[end:]
    return [*pieces, line]


def keyboard(actions: Sequence[Action]) -> InlineKeyboardMarkup | None:
    """Buttons whose press sends back the action's command as callback_data (at most 64 bytes: a longer
    command is left to be typed, see ``compose``)."""
    buttons = [InlineKeyboardButton(a.label, callback_data=a.command) for a in actions if _fits(a)]
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i:i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)])


def compose(message: OutboundMessage) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """The HTML texts to send, in order, and the keyboard that goes under the last: the message's own HTML (a
    notification the wording rendered for Telegram) when it fits one message, else its text rendered here."""
    text = message.text
    typed = [a for a in message.actions if not _fits(a)]
    if message.html and not typed and size(message.html) <= MAX_TEXT:
        return [message.html], keyboard(message.actions)
    if typed:
        text += "\n" + "\n".join(f"{a.label}: send `{a.command}`" for a in typed)
    return [render(chunk) for chunk in split(text)], keyboard(message.actions)


def outcome(ticket_html: str, reply: str) -> str:
    """The ticket message after its button was pressed: its text, then the answer to the press."""
    edited = f"{ticket_html}\n\n{render(reply)}" if ticket_html else render(reply)
    return edited if size(edited) <= MAX_TEXT else render(split(reply)[0])


def _fits(action: Action) -> bool:
    return 0 < len(action.command.encode()) <= MAX_CALLBACK_DATA


class TelegramSender(Sender):
    channel = Channel.TELEGRAM

    def __init__(self, token: str, *, wait: Callable[[float], None] = time.sleep) -> None:
        self._token = token
        self._wait = wait
        self._bot: Bot | None = None  # built on the first send, with its HTTP client
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def send(self, message: OutboundMessage) -> str:
        """One sendMessage per piece, the keyboard under the last; the message ids, comma-separated."""
        texts, markup = compose(message)
        ids = []
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            sent: Message = self._attempt(partial(_send, chat_id=message.to, text=text,
                                                  markup=markup if last else None))
            ids.append(str(sent.message_id))
        return ",".join(ids)

    def acknowledge(self, inbound: Inbound, replies: list[OutboundMessage]) -> None:
        """A button press: stop the button's spinner (answerCallbackQuery) and edit the ticket it was under to
        show the first reply, its keyboard gone. A press Telegram no longer knows (too old, already edited) is
        let be; a Telegram that is down raises DeliveryFailed, so the queue retries (the replies are not resent)."""
        context = inbound.context
        if not context.get("callback_query_id"):
            return
        self._quietly(partial(_answer_query, query_id=context["callback_query_id"]))
        if replies and context.get("chat_id") and context.get("message_id"):
            self._quietly(partial(_edit, chat_id=context["chat_id"], message_id=int(context["message_id"]),
                                  text=outcome(context.get("message_html", ""), replies[0].text)))

    def close(self) -> None:
        """Close the Bot's HTTP connections and the loop (tests; a Lambda container just ends)."""
        with self._lock:
            if self._loop is not None and not self._loop.is_closed():
                if self._bot is not None:
                    self._loop.run_until_complete(self._bot.shutdown())
                self._loop.close()
            self._bot, self._loop = None, None

    def _quietly(self, call: Call[Any]) -> None:
        try:
            self._attempt(call)
        except DeliveryFailed as failure:
            if failure.reason == "unavailable":
                raise

    def _attempt(self, call: Call[T]) -> T:
        """Run ``call``; after a flood-control answer wait (if short) and try once more."""
        for attempt in (1, 2):
            try:
                return self._run(call)
            except RetryAfter as exc:
                wait = retry_after(exc)
                if attempt == 2 or wait > MAX_RETRY_WAIT:
                    raise DeliveryFailed(f"Telegram asks to wait {wait:g} s before sending again.",
                                         reason="unavailable", retry_after=wait) from None
                self._wait(wait)
            except TelegramError as exc:
                raise failure(exc) from None
        raise AssertionError("unreachable")

    def _run(self, call: Call[T]) -> T:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
            if self._bot is None:
                self._bot = Bot(self._token)
            return self._loop.run_until_complete(call(self._bot))


def retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the attribute becomes a timedelta; either is read
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def failure(exc: TelegramError) -> DeliveryFailed:
    """Telegram's refusal as the port's reasons: blocked or removed from the chat is the chat's opt-out."""
    if isinstance(exc, Forbidden):
        return DeliveryFailed(f"Telegram refused: {exc.message}.", reason="opted_out")
    if isinstance(exc, ChatMigrated):
        return DeliveryFailed(f"The chat moved to {exc.new_chat_id}.", reason="rejected", new_chat_id=exc.new_chat_id)
    if isinstance(exc, BadRequest):  # before NetworkError, its base class in PTB
        return DeliveryFailed(f"Telegram rejected the message: {exc.message}.", reason="rejected")
    if isinstance(exc, InvalidToken):
        return DeliveryFailed("Telegram rejected the bot token.", reason="unavailable")
    return DeliveryFailed(f"Telegram is unavailable: {exc.message}.", reason="unavailable")


async def _send(bot: Bot, *, chat_id: str, text: str, markup: InlineKeyboardMarkup | None) -> Message:
    return await bot.send_message(chat_id=chat_id, text=text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _answer_query(bot: Bot, *, query_id: str) -> bool:
    return await bot.answer_callback_query(query_id)


async def _edit(bot: Bot, *, chat_id: str, message_id: int, text: str) -> Any:
    # no reply_markup: the edited ticket loses its keyboard
    return await bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML)


class SetupFailed(ParleyError):
    code = "telegram_setup_failed"


def set_up_bot(token: str, webhook_url: str, secret: str, commands: Sequence[tuple[str, str]]) -> str:
    """getMe (the token is good), setWebhook with the secret for messages and button presses (pending updates
    kept), setMyCommands; the bot's username. SetupFailed with Telegram's reason otherwise."""

    async def run() -> str:
        async with Bot(token) as bot:
            await bot.set_webhook(url=webhook_url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES),
                                  drop_pending_updates=False)
            await bot.set_my_commands([BotCommand(name, description) for name, description in commands])
            return bot.username

    try:
        return asyncio.run(run())
    except InvalidToken:
        raise SetupFailed("Telegram rejected the bot token (PARLEY_TELEGRAM_BOT_TOKEN).") from None
    except TelegramError as exc:
        raise SetupFailed(f"Telegram refused the setup: {exc.message}") from None
