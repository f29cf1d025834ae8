"""Notifications in words: each kind's sentence made from its ``data`` (JSON-safe, Decimals as strings), and
rendered per channel at delivery (Telegram HTML, SMS in GSM-7, WhatsApp, email text and HTML with a subject),
as Freqtrade's channels render its message types. The plain sentence is also stored as the notification's
``text`` for the API's list. A notification whose data cannot make its sentence (one stored before its kind
carried data) delivers its stored text.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.channels import Channel
from core.notifications import Notification, NotificationKind
from core.wording.formats import price, quantity
from core.wording.gsm import gsm7

SUBJECTS = {
    NotificationKind.ALERT: "Parley alert", NotificationKind.FILL: "Parley fill",
    NotificationKind.REJECTED: "Parley: order rejected", NotificationKind.EXPIRED: "Parley: order expired",
    NotificationKind.KILL_SWITCH: "Parley: kill switch", NotificationKind.SYSTEM: "Parley system alert",
    NotificationKind.COMPLIANCE: "Parley compliance event", NotificationKind.SIGNAL: "Parley signal",
}
DEFAULT_SUBJECT = "Parley"
_TRADING_STATES = {
    "active": "active: trading is open again",
    "reducing": "reducing: only orders that reduce a position pass, and opening orders are cancelled; exits keep "
                "protecting",
    "halted": "halted (kill switch): no new order passes and working orders are cancelled",
}
_GUARDED = {"would_open_short": "it would have opened a short"}
_GUARDED_OTHERWISE = "your cash does not cover it"

Data = Mapping[str, Any]


@dataclass(frozen=True)
class Rendered:
    """One notification as one channel shows it: ``text`` (what is sent as text and recorded), ``subject``
    (email), ``html`` (Telegram and email: the same words marked up; empty where the channel takes none)."""

    text: str
    subject: str = ""
    html: str = ""


def _qty(data: Data, key: str) -> str:
    return quantity(Decimal(data[key]))


def _px(data: Data, key: str) -> str:
    return price(Decimal(data[key]), data["symbol"])


def _fill(data: Data, _: str) -> str:
    return (f"Filled: {data['side'].upper()} {_qty(data, 'quantity')} {data['symbol']} at {_px(data, 'price')} "
            f"(order {data['order_id']}, {_qty(data, 'filled_quantity')} of {_qty(data, 'order_quantity')})")


def _ended(data: Data, _: str) -> str:
    head = f"Order {data['order_id']} ({data['side']} {_qty(data, 'quantity')} {data['symbol']})"
    if data.get("code") == "venue_cancel_refused":  # the venue would not cancel it: it still works there
        venue = data["venue"]
        return (f"{head} was to be cancelled ({data['why']}), but {venue} refused: {data['reason'].rstrip('.')}. "
                f"It is still working at {venue}.")
    if "booked" in data:  # a fill trimmed at booking (core.fill_guard), the rest cancelled
        why = _GUARDED.get(data["code"], _GUARDED_OTHERWISE)
        return (f"{head}: {_qty(data, 'booked')} of a {_qty(data, 'fill_quantity')} fill was booked and the rest "
                f"of the order cancelled, as {why}.")
    reason = data.get("reason")
    return f"{head} {data['status']}" + (f": {reason.rstrip('.')}." if reason else ".")


def _alert(data: Data, _: str) -> str:
    return f"Alert {data['alert_id']}: {data['description']} (at {_px(data, 'price')})."


def _kill_switch(data: Data, account_id: str) -> str:
    what = _TRADING_STATES[data["state"]]
    whose = "The platform" if data["scope"] == "global" else f"Account {account_id}"
    return f"{whose} is now {what} (set by {data['actor']})."


def _event(compliance: bool) -> Callable[[Data, str], str]:
    def sentence(data: Data, _: str) -> str:
        about = f" (account {data['about_account']})" if data.get("about_account") else ""
        lead = "Compliance" if compliance else "System"
        return f"{lead} {data['severity']}: {data['code']}: {data['message']}{about}"

    return sentence


def _signal(data: Data, _: str) -> str:
    text = f"Signal from {data['source']}: {data['summary']}"
    if data.get("refused"):
        return f"{text}. Not staged: {data['refused']}"
    if data.get("code"):
        expires = datetime.fromisoformat(data["expires_at"])
        return f"{text}. Reply YES {data['code']} to place it (the ticket expires at {expires:%H:%M:%S} UTC)."
    return text


SENTENCES: dict[NotificationKind, Callable[[Data, str], str]] = {
    NotificationKind.FILL: _fill, NotificationKind.REJECTED: _ended, NotificationKind.EXPIRED: _ended,
    NotificationKind.ALERT: _alert, NotificationKind.KILL_SWITCH: _kill_switch,
    NotificationKind.SYSTEM: _event(False), NotificationKind.COMPLIANCE: _event(True),
    NotificationKind.SIGNAL: _signal,
}


def sentence(kind: NotificationKind, data: Data, account_id: str) -> str | None:
    """The plain sentence for ``kind`` from ``data``; None when the data lacks what it needs."""
    try:
        return SENTENCES[kind](data, account_id)
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError):
        return None


def plain(notification: Notification) -> str:
    """The notification's plain words: made from its data, else its stored text."""
    return sentence(notification.kind, notification.data, notification.account_id) or notification.text


def subject(kind: NotificationKind) -> str:
    return SUBJECTS.get(kind, DEFAULT_SUBJECT)


def render(notification: Notification, channel: Channel) -> Rendered:
    """``notification`` as ``channel`` shows it."""
    text, title = plain(notification), subject(notification.kind)
    if channel is Channel.TELEGRAM:
        marked = f"<b>{html.escape(title)}</b>\n{html.escape(text, quote=False)}"
        return Rendered(text=text, subject=title, html=marked)
    if channel is Channel.SMS:
        return Rendered(text=gsm7(text), subject=title)
    if channel is Channel.EMAIL:
        body = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
        return Rendered(text=text, subject=title, html=body)  # the email sender frames it and adds the actions
    return Rendered(text=text, subject=title)  # WhatsApp, the local outbox: plain words (a template takes them)
