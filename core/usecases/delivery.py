"""Notifications to a trader's messengers: the channels in the account's preference order, falling back to
the next when a send fails; quiet hours hold back all but urgent kinds until they end (``release`` puts the
held ones back on the notify queue then); a channel whose policy shuts free text now (WhatsApp outside its
24-hour window) gets an approved template or falls through. Exactly once per notification and channel: each
message's id is derived from the notification's, so a redelivered notification finds what was already sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.channels import Contact, MessageStatus, OutboundMessage
from core.errors import AlreadyExists, NotFound
from core.ids import derived_id
from core.notifications import Notification, NotificationKind
from core.ports.channel import DeliveryFailed, Senders
from core.ports.queue import NotifyQueue
from core.usecases.deps import Deps
from core.usecases.outbound import deliver
from core.wording import notifications

QUEUE_DEDUP_WINDOW = timedelta(minutes=5)  # SQS FIFO drops a repeat of a deduplication id within five minutes
URGENT = {NotificationKind.KILL_SWITCH, NotificationKind.REJECTED, NotificationKind.SYSTEM}


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
    contacts = {c.channel: c for c in deps.store.contacts.list_for_account(account.id) if not c.opted_out}
    reachable = [contacts[channel] for channel in prefs.channels if channel in contacts]
    if not reachable:
        return Outcome()
    if prefs.quiet_hours and notification.kind not in URGENT and prefs.quiet_hours.covers(now):
        _hold(deps, _message(deps, notification, reachable[0]), prefs.quiet_hours.ends_after(now))
        return Outcome(held=True)
    outcome = Outcome()
    for contact in reachable:
        channel = contact.channel
        try:
            outcome.sent = deliver(deps, senders, _message(deps, notification, contact))
            return outcome
        except DeliveryFailed as failure:
            outcome.failures.append(f"{channel.value}: {failure.reason}")
    if outcome.failures:
        raise DeliveryFailed(f"Notification {notification.id} reached no channel ({'; '.join(outcome.failures)}).",
                             reason="unavailable", failures=outcome.failures)
    return outcome


def release(deps: Deps, queue: NotifyQueue, *, limit: int = 100) -> int:
    """Put the notifications whose quiet hours have ended back on the notify queue (the sweep, every minute);
    their held message turns queued, so it is released once. Returns how many went."""
    released = 0
    for message in deps.store.messages.due(now=deps.now(), limit=limit):
        if deps.now() - message.created_at < QUEUE_DEDUP_WINDOW:
            continue  # the FIFO queue would still drop it as the notification's first delivery: next sweep
        notification = deps.store.notifications.get(message.cause)
        if notification is None:  # nothing left to say: the record is closed, not retried
            closed = {"status": MessageStatus.FAILED, "error": "notification gone", "updated_at": deps.now()}
            deps.store.messages.save(message.model_copy(update=closed))
            continue
        if notification.id in queue.send([notification]):
            queued = {"status": MessageStatus.QUEUED, "updated_at": deps.now()}
            deps.store.messages.save(message.model_copy(update=queued))
            released += 1
    return released


def _hold(deps: Deps, message: OutboundMessage, until: datetime) -> None:
    """Record ``message`` as held until ``until`` (again, if a redelivery or new quiet hours found it)."""
    held = message.model_copy(update={"status": MessageStatus.HELD, "held_until": until})
    try:
        deps.store.messages.add(held)
    except AlreadyExists:
        stored = deps.store.messages.get(message.id)
        if stored is not None and stored.status not in (MessageStatus.SENT, MessageStatus.DELIVERED,
                                                         MessageStatus.LOCAL):
            deps.store.messages.save(stored.model_copy(update={"status": MessageStatus.HELD, "held_until": until}))


def _message(deps: Deps, notification: Notification, contact: Contact) -> OutboundMessage:
    """The notification in the words of ``contact``'s channel (core.wording), made now, at delivery."""
    words = notifications.render(notification, contact.channel)
    return OutboundMessage(
        id=derived_id("notify", notification.id, contact.channel.value, length=16), channel=contact.channel,
        to=contact.address, text=words.text, html=words.html, subject=words.subject,
        account_id=notification.account_id, cause=notification.id, created_at=deps.now(),
        template=not deps.policy(contact.channel).free_text_open(contact, deps.now()),
        status=MessageStatus.QUEUED,
    )
