"""Messages from the messenger channels, from the webhook to the reply.

``accept`` is the webhook's half: drop a replay by its dedup key, put the message on the conversation queue.
``answer`` is the conversation worker's half: once per message, resolve the sender, honour the channel's
keywords and opt-out (its ChannelPolicy: STOP, START, HELP on SMS and WhatsApp), link and unlink, onboard a
stranger once, keep unverified email to questions, and send what the conversation service replies on the same
channel.

Writes go through the unit of work, one unit per step: the contact and the replies it gets are recorded together
(with the link code taken, for ``link <code>``) and committed before anything is sent; the contact is recorded
before the language answers, as reading words may be a network call too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.channels import Channel, Contact, Inbound, OutboundMessage
from core.errors import ParleyError
from core.ids import derived_id
from core.ports.channel import DeliveryFailed, InboundQueue, Keyword, OptIn, Senders
from core.ports.language import Language, Reply
from core.ports.store import UnitOfWork
from core.usecases.common.deps import Deps
from core.usecases.messaging import links
from core.usecases.messaging.outbound import deliver
from core.wording import messenger

WEBHOOK_DEDUP_SECONDS = 7 * 24 * 3600  # providers retry for up to a few days; a week outlasts them all
WORK_CLAIM_SECONDS = 15 * 60  # a worker that died mid-message frees it for a retry after this
LINK = re.compile(r"link\s+([A-Za-z0-9-]{4,32})", re.IGNORECASE)



class InProgress(ParleyError):
    """Another worker holds this message; it is retried later."""

    code = "in_progress"


def accept(deps: Deps, queue: InboundQueue, inbound: Inbound) -> bool:
    """Queue ``inbound`` unless its dedup key was seen (False: a replay, acknowledged and dropped). If the
    queue fails the claim is released, so the provider's retry is accepted."""
    key = f"webhook:{inbound.id}"
    if deps.store.idempotency.claim(key, inbound.channel.value, now=deps.now(),
                                    ttl_seconds=WEBHOOK_DEDUP_SECONDS) is not None:
        return False
    try:
        queue.send(inbound)
    except BaseException:
        deps.store.idempotency.release(key)
        raise
    deps.store.idempotency.complete(key, {"queued": True})
    return True


def answer(deps: Deps, senders: Senders, inbound: Inbound) -> list[OutboundMessage]:
    """Answer ``inbound`` once (a redelivery finds it done and sends nothing); the messages sent. The words are
    read and answered by ``deps.language``."""
    key = f"inbound:{inbound.id}"
    held = deps.store.idempotency.claim(key, inbound.channel.value, now=deps.now(), ttl_seconds=WORK_CLAIM_SECONDS)
    if held is not None:
        if held.status.value == "completed":
            return []
        raise InProgress(f"Message {inbound.id} is being answered by another worker.")
    try:
        recorded = _recorded_replies(deps, inbound)
        if recorded:  # a retry after a failed send: send what was decided, do not decide again
            sent = _send_all(deps, senders, recorded)
            _acknowledge(senders, inbound, sent)
        else:
            sent = _answer(deps, senders, inbound, deps.require_language())
    except BaseException:
        deps.store.idempotency.release(key)
        raise
    deps.store.idempotency.complete(key, {"messages": [message.id for message in sent]})
    return sent


def _answer(deps: Deps, senders: Senders, inbound: Inbound, language: Language) -> list[OutboundMessage]:
    contact = deps.store.contacts.get(inbound.channel, inbound.sender) or Contact(
        channel=inbound.channel, address=inbound.sender
    )
    contact = contact.model_copy(update={"last_inbound_at": inbound.received_at})
    policy = deps.policy(inbound.channel)
    if policy.opt_in is OptIn.WRITING:
        contact = contact.model_copy(update={"opted_out": False})
    text = inbound.text.strip()
    word = text.lower().rstrip(".!")
    keyword = policy.keyword(text)
    texts: list[Reply | str]

    if keyword is Keyword.OPT_OUT:
        # the carrier's own confirmation is the last message this number gets
        return _save_contact(deps, contact.model_copy(update={"opted_out": True}))
    if policy.opt_in is OptIn.KEYWORD and contact.opted_out:
        if keyword is not Keyword.OPT_IN:
            return _save_contact(deps, contact)
        contact = contact.model_copy(update={"opted_out": False})
        texts = [messenger.RESUBSCRIBED]
    elif match := LINK.fullmatch(text):
        return _link(deps, senders, inbound, contact, match.group(1))
    elif word == "unlink" and contact.account_id:
        try:
            unlinked = links.unlink_sender(contact, verified=inbound.verified)
            texts = [messenger.unlinked(contact.account_id)]
            contact = unlinked
        except ParleyError as refused:
            texts = [refused.message]
    elif contact.account_id is None:
        if contact.onboarded:
            return _save_contact(deps, contact)
        contact = contact.model_copy(update={"onboarded": True})
        texts = [messenger.onboarding(inbound.channel)]
    elif not inbound.verified and not language.asks_only(text):
        texts = [messenger.UNVERIFIED]
    else:
        _save_contact(deps, contact)  # recorded before the language answers, with no unit open across it
        texts = list(language.converse(contact.account_id, inbound.thread, text))
        if keyword is Keyword.HELP:
            texts.append(messenger.OPT_OUT_HINT)
        return _reply(deps, senders, inbound, contact, texts, save_contact=False)
    return _reply(deps, senders, inbound, contact, texts)


def _link(deps: Deps, senders: Senders, inbound: Inbound, contact: Contact, code: str) -> list[OutboundMessage]:
    """``link <code>``: the code taken, the contact bound and the reply recorded in one unit, then sent."""
    with deps.store.unit() as uow:
        texts: list[Reply | str] | None
        try:
            contact = links.link(uow, deps.now(), contact, code, verified=inbound.verified)
            texts = [messenger.linked(inbound.channel, contact.account_id)]
        except links.TooManyWrongCodes:  # a sender guessing codes: every answer would cost a message
            texts = None
        except links.WrongLinkCode as wrong:
            contact, texts = wrong.contact, [wrong.message]
        except ParleyError as refused:  # unverified, or already linked to an account
            texts = [refused.message]
        messages = _record(deps, uow, inbound, contact, texts or [])
        uow.commit()
    return [] if texts is None else _send_recorded(deps, senders, inbound, messages)


def _save_contact(deps: Deps, contact: Contact) -> list[OutboundMessage]:
    """Record the contact alone, in its own unit; nothing is sent (the message is answered by silence)."""
    with deps.store.unit() as uow:
        uow.contacts.save(contact)
        uow.commit()
    return []


def _reply(
    deps: Deps, senders: Senders, inbound: Inbound, contact: Contact, replies: Sequence[Reply | str], *,
    save_contact: bool = True,
) -> list[OutboundMessage]:
    """Record the contact (unless ``save_contact`` is False: recorded already) and the replies in one unit, commit,
    then send the replies: no unit is open across a provider's send."""
    with deps.store.unit() as uow:
        messages = _record(deps, uow, inbound, contact, replies, save_contact=save_contact)
        uow.commit()
    return _send_recorded(deps, senders, inbound, messages)


def _record(
    deps: Deps, uow: UnitOfWork, inbound: Inbound, contact: Contact, replies: Sequence[Reply | str], *,
    save_contact: bool = True,
) -> list[OutboundMessage]:
    """Write the contact and every reply through ``uow`` (every reply before the first goes, so a retry finds
    them all); a reply already recorded is left as it is."""
    if save_contact:
        uow.contacts.save(contact)
    messages = []
    for index, reply in enumerate(replies):
        text, actions = (reply, []) if isinstance(reply, str) else (reply.text, list(reply.actions))
        messages.append(OutboundMessage(
            id=_reply_id(inbound, index), channel=inbound.channel, to=inbound.sender, text=text, actions=actions,
            subject=_subject(inbound), account_id=contact.account_id, cause=inbound.id, context=inbound.context,
            created_at=deps.now(),
        ))
    for message in messages:
        if uow.messages.get(message.id) is None:
            uow.messages.add(message)
    return messages


def _send_recorded(
    deps: Deps, senders: Senders, inbound: Inbound, messages: list[OutboundMessage]
) -> list[OutboundMessage]:
    sent = _send_all(deps, senders, messages)
    _acknowledge(senders, inbound, sent)
    return sent


def _send_all(deps: Deps, senders: Senders, messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """Send each reply (recorded by the caller, under the message's claim). A provider that is down fails the
    message for a retry; a refusal no retry can change (outbound.FINAL) stays recorded on the reply, and the
    message is answered: retrying it could not deliver more."""
    sent = []
    for message in messages:
        try:
            sent.append(deliver(deps, senders, message, recorded=True))
        except DeliveryFailed as failure:
            if failure.reason == "unavailable":
                raise
            sent.append(deps.store.messages.get(message.id) or message)
    return sent


def _acknowledge(senders: Senders, inbound: Inbound, sent: list[OutboundMessage]) -> None:
    sender = senders.get(inbound.channel)
    if sender is not None:
        sender.acknowledge(inbound, sent)


def _reply_id(inbound: Inbound, index: int) -> str:
    return derived_id("reply", inbound.id, str(index), length=16)


def _recorded_replies(deps: Deps, inbound: Inbound) -> list[OutboundMessage]:
    """The replies an earlier attempt at ``inbound`` decided on and recorded (none if it got no further)."""
    recorded: list[OutboundMessage] = []
    while (message := deps.store.messages.get(_reply_id(inbound, len(recorded)))) is not None:
        recorded.append(message)
    return recorded


def _subject(inbound: Inbound) -> str:
    if inbound.channel is not Channel.EMAIL:
        return ""
    subject = inbound.context.get("subject", "").strip() or "Parley"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"

