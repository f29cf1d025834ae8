"""Signals from outside systems: register a source, accept a signed request (answered before any work is
done: the work is published as a ``webhook.event``), and turn the event into a notification or a ticket.

A signal never executes an order: ``stage`` makes a ticket the trader confirms on a channel.
"""

from __future__ import annotations

import secrets

from core.envelope import Envelope, EventType
from core.errors import AlreadyExists, Forbidden, ParleyError, StoreError, Unauthorized, require_room
from core.events import WebhookEvent
from core.ids import derived_id, fingerprint
from core.notifications import NotificationKind
from core.orders import OrderRequest
from core.ports.queue import EventPublisher
from core.signals import (
    REPLAY_TTL_SECONDS,
    ReplayedSignal,
    SignalMode,
    SignalSource,
    authenticate,
    read_body,
    stand_in,
)
from core.usecases import idempotent, notify
from core.usecases.accounts import AccountRef, get_account
from core.usecases.confirmations import stage_order
from core.usecases.deps import Deps


def register_source(
    deps: Deps, account: AccountRef, name: str, mode: SignalMode, *, idempotency_key: str | None = None
) -> SignalSource:
    """A new source for the account, with its secret (shown to the trader once; again only to a retry under the
    same ``idempotency_key``, which gets the same source rather than a second one)."""
    owner = get_account(deps, account)
    account_id = owner.id
    asked = fingerprint({"name": name.strip(), "mode": mode.value})
    source = SignalSource(
        id=idempotent.record_id(account_id, "signal source", idempotency_key), account_id=account_id,
        name=name.strip(), mode=mode, secret=secrets.token_urlsafe(32), created_at=deps.now(),
        request_fingerprint=asked if idempotency_key else None,
    )
    if deps.store.signal_sources.get(source.id) is None:  # a retry under the same key is answered below
        held = len(deps.store.signal_sources.list_for_account(account_id))
        require_room(owner.limits.max_signal_sources, held, "max_signal_sources", "signal sources")
    try:
        return deps.store.signal_sources.add(source)
    except AlreadyExists as taken:
        if not idempotency_key:
            raise
        return idempotent.replayed(deps.store.signal_sources.get(source.id), asked, taken, "signal source")


def accept(deps: Deps, publisher: EventPublisher, source_id: str, header: str | None, body: bytes) -> Envelope:
    """Authenticate a webhook request and publish it as a ``webhook.event``. Refused requests store nothing:
    Forbidden (timestamp outside the window), Unauthorized (bad signature or passphrase, or an unknown source:
    answered alike), ReplayedSignal (this signature or unsigned content was accepted before)."""
    now = deps.now()
    source = deps.store.signal_sources.get(source_id)
    key = authenticate(source or stand_in(source_id, now), header, body, now)
    if source is None:  # not reached: nothing proves itself to a stand-in's random secret
        raise Unauthorized("The signature does not match.", code="bad_signature")
    fields = read_body(body)
    fields.pop("passphrase", None)
    if deps.store.idempotency.claim(key, key, now=now, ttl_seconds=REPLAY_TTL_SECONDS) is not None:
        raise ReplayedSignal("This signal was already received.")
    envelope = Envelope(
        type=EventType.WEBHOOK_EVENT, id=derived_id(key, length=20), source=f"signals/{source.id}", time=now,
        data=WebhookEvent(source_id=source.id, body=fields).model_dump(mode="json"),
    )
    try:
        publisher.publish(envelope)
    except StoreError:
        deps.store.idempotency.release(key)  # not taken: the sender may try again
        raise
    deps.store.idempotency.complete(key, {"event_id": envelope.id})
    return envelope


def handle(deps: Deps, envelope: Envelope, event: WebhookEvent) -> bool:
    """Turn an accepted signal into a notification (and, in ``stage`` mode, a ticket). False if this event was
    handled before. An order the signal cannot express, or that risk refuses, is told to the trader too. A signal
    carrying text is read as a Parley command by ``deps.language``."""
    source = deps.store.signal_sources.get(event.source_id)
    if source is None:
        raise Forbidden("Unknown signal source.", code="unknown_source")
    key = (envelope.id,)
    if deps.store.notifications.get(derived_id(NotificationKind.SIGNAL.value, *key, length=16)) is not None:
        return False
    text = event.body.get("text")
    summary = text if isinstance(text, str) else ", ".join(f"{k}={v}" for k, v in sorted(event.body.items()))
    data = {"source_id": source.id, "source": source.name, "mode": source.mode.value, "summary": summary}
    if source.mode is SignalMode.STAGE:
        try:
            if isinstance(text, str):
                request = deps.require_language().read_order(text)
            else:
                request = OrderRequest.model_validate(event.body)
            ticket = stage_order(deps, source.account_id, request, source="signal")
        except (ParleyError, ValueError) as exc:
            data["refused"] = getattr(exc, "message", None) or _first_error(exc)
        else:
            data |= {"order_id": ticket.order_id, "code": ticket.code, "expires_at": ticket.expires_at.isoformat()}
    with deps.store.unit() as uow:
        notify.emit(uow, deps.now(), source.account_id, NotificationKind.SIGNAL, key, **data)
        uow.commit()
    return True


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(str(error.get("msg", "")) for error in errors())
    return str(exc)
