"""Notifications to a trader's messengers: the channels in the account's preference order, falling back to
the next when a send fails; quiet hours hold back all but urgent kinds; WhatsApp outside its 24-hour window
goes as an approved template or falls through. Exactly once per notification and channel: each message's id
is derived from the notification's, so a redelivered notification finds what was already sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.channels import Channel, Contact, MessageStatus, OutboundMessage
from core.errors import NotFound
from core.ids import derived_id
from core.notifications import Notification, NotificationKind
from core.ports.channel import DeliveryFailed, Senders
from core.usecases.deps import Deps
from core.usecases.outbound import deliver

URGENT = {NotificationKind.KILL_SWITCH, NotificationKind.REJECTED, NotificationKind.SYSTEM}
SUBJECTS = {
    NotificationKind.ALERT: "Parley alert", NotificationKind.FILL: "Parley fill",
    NotificationKind.REJECTED: "Parley: order rejected", NotificationKind.EXPIRED: "Parley: order expired",
    NotificationKind.KILL_SWITCH: "Parley: kill switch", NotificationKind.SYSTEM: "Parley system alert",
    NotificationKind.COMPLIANCE: "Parley compliance event", NotificationKind.SIGNAL: "Parley signal",
}


@dataclass
class Outcome:
    """What became of one notification: ``sent`` (the message that went), or ``held`` (quiet hours), or
    ``unreachable`` (no linked channel: it stays in the account's notification list only)."""

    sent: OutboundMessage | None = None
    held: bool = False
    failures: list[str] = field(default_factory=list)

    @property
    def unreachable(self) -> bool:
        return self.sent is None and not self.held and not self.failures


def notify(deps: Deps, senders: Senders, notification: Notification) -> Outcome:
    """Deliver ``notification``; DeliveryFailed if every linked channel failed (the queue retries, then its DLQ)."""
    try:
        account = deps.store.accounts.get(notification.account_id)
    except NotFound:
        return Outcome()
    prefs = account.preferences
    now = deps.now()
    if prefs.quiet_hours and notification.kind not in URGENT and prefs.quiet_hours.covers(now):
        return Outcome(held=True)
    contacts = {c.channel: c for c in deps.store.contacts.list_for_account(account.id) if not c.opted_out}
    outcome = Outcome()
    for channel in prefs.channels:
        contact = contacts.get(channel)
        if contact is None:
            continue
        try:
            outcome.sent = deliver(deps, senders, _message(deps, notification, contact))
            return outcome
        except DeliveryFailed as failure:
            outcome.failures.append(f"{channel.value}: {failure.reason}")
    if outcome.failures:
        raise DeliveryFailed(f"Notification {notification.id} reached no channel ({'; '.join(outcome.failures)}).",
                             reason="unavailable", failures=outcome.failures)
    return outcome


def _message(deps: Deps, notification: Notification, contact: Contact) -> OutboundMessage:
    return OutboundMessage(
        id=derived_id("notify", notification.id, contact.channel.value, length=16), channel=contact.channel,
        to=contact.address, text=notification.text, subject=SUBJECTS.get(notification.kind, "Parley"),
        account_id=notification.account_id, cause=notification.id, created_at=deps.now(),
        template=contact.channel is Channel.WHATSAPP and not contact.within_whatsapp_window(deps.now()),
        status=MessageStatus.QUEUED,
    )
