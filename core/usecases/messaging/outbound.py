"""Sending one message exactly once: it is recorded under an id derived from its cause before it goes, so a
retried cause (a redelivered inbound message, a notification put twice) finds it and does not send again."""

from __future__ import annotations

from datetime import timedelta

from core.channels import Channel, Contact, MessageStatus, OutboundMessage, fit
from core.errors import AlreadyExists, ConcurrentUpdate
from core.ports.channel import DeliveryFailed, Senders
from core.usecases.common.deps import Deps

IN_FLIGHT = timedelta(seconds=60)  # a queued record younger than this is another worker's send in progress
DONE = {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.LOCAL}
# Refusals no retry can change: the provider is not asked again for a message it refused so.
FINAL = {"opted_out", "rejected"}


def deliver(deps: Deps, senders: Senders, message: OutboundMessage, *, recorded: bool = False) -> OutboundMessage:
    """Record ``message`` and send it on its channel; the stored message, sent (or kept locally).

    ``recorded``: the caller recorded it already and holds its cause's claim (no other worker can be sending
    it), so it goes unless it went before. Raises DeliveryFailed when the provider did not take it (recorded as
    failed, with the reason; a number the provider says opted out is marked so; a message refused for good
    before raises it again without asking the provider), and ConcurrentUpdate when another worker is sending
    it right now."""
    if recorded:
        stored = deps.store.messages.get(message.id)
        _settled(stored)
        return stored if stored is not None and stored.status in DONE else _send(deps, senders, stored or message)
    try:
        with deps.store.unit() as uow:  # recorded and committed before the send, which runs with no unit open
            uow.messages.add(message)
            uow.commit()
    except AlreadyExists:
        stored = deps.store.messages.get(message.id)
        _settled(stored)
        if stored is not None and stored.status in DONE:
            return stored
        if stored is not None and stored.status is MessageStatus.QUEUED and deps.now() - stored.created_at < IN_FLIGHT:
            raise ConcurrentUpdate(f"Message {message.id} is being sent by another worker.") from None
    return _send(deps, senders, message)


def _settled(stored: OutboundMessage | None) -> None:
    """A stored message the provider refused for good, or took and later reported failed (a status callback:
    its channel had its chance): that failure again, not a second try on the same channel."""
    if stored is None or stored.status is not MessageStatus.FAILED:
        return
    if stored.error in FINAL or stored.provider_id:
        raise DeliveryFailed(f"Message {stored.id} was refused before ({stored.error}).",
                             reason=stored.error if stored.error in FINAL else "rejected")


def _send(deps: Deps, senders: Senders, message: OutboundMessage) -> OutboundMessage:
    limit = deps.policy(message.channel).max_length
    message = message.model_copy(update={"text": fit(message.text, limit)})  # what goes is recorded
    sender = senders.get(message.channel)
    if sender is None:
        failure = DeliveryFailed(f"No {message.channel.value} sender is configured.", reason="unavailable")
        _record(deps, message, MessageStatus.FAILED, error=failure.reason)
        raise failure
    try:
        provider_id = sender.send(message)
    except DeliveryFailed as failure:
        _record(deps, message, MessageStatus.FAILED, error=failure.reason)
        if failure.reason == "opted_out":
            opt_out(deps, message.channel, message.to)
        raise
    status = MessageStatus.LOCAL if sender.local else MessageStatus.SENT
    return _record(deps, message, status, provider_id=provider_id)


def opt_out(deps: Deps, channel: Channel, address: str, opted_out: bool = True) -> None:
    contact = deps.store.contacts.get(channel, address) or Contact(channel=channel, address=address)
    if contact.opted_out != opted_out:
        with deps.store.unit() as uow:
            uow.contacts.save(contact.model_copy(update={"opted_out": opted_out}))
            uow.commit()


def _record(deps: Deps, message: OutboundMessage, status: MessageStatus, **fields: str) -> OutboundMessage:
    done = message.model_copy(update={"status": status, "updated_at": deps.now(), **fields})
    with deps.store.unit() as uow:  # the send's outcome, after the send
        uow.messages.save(done)
        uow.commit()
    return done
