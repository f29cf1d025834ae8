"""Messages from the messenger channels, from the webhook to the reply.

``accept`` is the webhook's half: drop a replay by its dedup key, put the message on the conversation queue.
``answer`` is the conversation worker's half: once per message, resolve the sender, honour the channel's
keywords and opt-out (its ChannelPolicy: STOP, START, HELP on SMS and WhatsApp), link and unlink, onboard a
stranger once, keep unverified email to questions, and send what the conversation service replies on the same
channel.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence

from core.channels import Channel, Contact, Inbound, OutboundMessage
from core.errors import AlreadyExists, ParleyError
from core.ids import derived_id
from core.ports.channel import DeliveryFailed, InboundQueue, Keyword, OptIn, Senders
from core.ports.language import Language, Reply
from core.usecases import links
from core.usecases.deps import Deps
from core.usecases.outbound import deliver
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
        deps.store.contacts.save(contact.model_copy(update={"opted_out": True}))
        return []  # the carrier's own confirmation is the last message this number gets
    if policy.opt_in is OptIn.KEYWORD and contact.opted_out:
        if keyword is not Keyword.OPT_IN:
            deps.store.contacts.save(contact)
            return []
        contact = contact.model_copy(update={"opted_out": False})
        texts = [messenger.RESUBSCRIBED]
    elif match := LINK.fullmatch(text):
        try:
            contact = links.link(deps, contact, match.group(1), verified=inbound.verified)
            texts = [messenger.linked(inbound.channel, contact.account_id)]
        except links.TooManyWrongCodes:  # a sender guessing codes: every answer would cost a message
            deps.store.contacts.save(contact)
            return []
        except links.WrongLinkCode as wrong:
            contact, texts = wrong.contact, [wrong.message]
        except ParleyError as refused:  # unverified, or already linked to an account
            texts = [refused.message]
    elif word == "unlink" and contact.account_id:
        try:
            unlinked = links.unlink_sender(contact, verified=inbound.verified)
            texts = [messenger.unlinked(contact.account_id)]
            contact = unlinked
        except ParleyError as refused:
            texts = [refused.message]
    elif contact.account_id is None:
        if contact.onboarded:
            deps.store.contacts.save(contact)
            return []
        contact = contact.model_copy(update={"onboarded": True})
        texts = [messenger.onboarding(inbound.channel)]
    elif not inbound.verified and not language.asks_only(text):
        texts = [messenger.UNVERIFIED]
    else:
        deps.store.contacts.save(contact)
        texts = list(language.converse(contact.account_id, inbound.thread, text))
        if keyword is Keyword.HELP:
            texts.append(messenger.OPT_OUT_HINT)
        return _reply(deps, senders, inbound, contact, texts)
    deps.store.contacts.save(contact)
    return _reply(deps, senders, inbound, contact, texts)


def _reply(
    deps: Deps, senders: Senders, inbound: Inbound, contact: Contact, replies: Sequence[Reply | str]
) -> list[OutboundMessage]:
    messages = []
    for index, reply in enumerate(replies):
        text, actions = (reply, []) if isinstance(reply, str) else (reply.text, list(reply.actions))
        messages.append(OutboundMessage(
            id=_reply_id(inbound, index), channel=inbound.channel, to=inbound.sender, text=text, actions=actions,
            subject=_subject(inbound), account_id=contact.account_id, cause=inbound.id, context=inbound.context,
            created_at=deps.now(),
        ))
    for message in messages:  # every reply is recorded before the first goes, so a retry finds them all
        with contextlib.suppress(AlreadyExists):
            deps.store.messages.add(message)
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
    recorded = []
    while (message := deps.store.messages.get(_reply_id(inbound, len(recorded)))) is not None:
        recorded.append(message)
    return recorded


def _subject(inbound: Inbound) -> str:
    if inbound.channel is not Channel.EMAIL:
        return ""
    subject = inbound.context.get("subject", "").strip() or "Parley"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"

