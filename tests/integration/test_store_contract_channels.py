"""The contract of the channel repositories (contacts, link codes, outbound messages), run against every
adapter (SQLite, DynamoDB under moto, memory) through the ``store`` fixture."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.channels import Action, Channel, Contact, LinkCode, MessageStatus, OutboundMessage
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound
from core.ports.store import Store
from tests.integration.test_store_records import T0, at


def make_message(message_id: str, minutes: int = 0, **fields: object) -> OutboundMessage:
    values = {"channel": Channel.TELEGRAM, "to": "4242", "text": f"hello {message_id}",
              "actions": [Action(label="Confirm", command="yes 4821")]} | fields
    return OutboundMessage(id=message_id, created_at=T0 + timedelta(minutes=minutes), **values)


def test_a_contact_is_created_once_then_updated_only_from_the_version_read(store: Store) -> None:
    assert store.contacts.get(Channel.SMS, "+15550001111") is None
    first = store.contacts.save(Contact(channel=Channel.SMS, address="+15550001111", last_inbound_at=T0))
    assert first.version == 1
    with pytest.raises(ConcurrentUpdate):
        store.contacts.save(Contact(channel=Channel.SMS, address="+15550001111"))  # a second create
    linked = store.contacts.save(first.model_copy(update={"account_id": "acct-1", "linked_at": at(1)}))
    assert linked.version == 2
    with pytest.raises(ConcurrentUpdate):
        store.contacts.save(first.model_copy(update={"opted_out": True}))  # stale: version 1 was read
    assert store.contacts.get(Channel.SMS, "+15550001111") == linked


def test_an_accounts_contacts_are_the_linked_ones_only(store: Store) -> None:
    store.contacts.save(Contact(channel=Channel.TELEGRAM, address="77", account_id="acct-1"))
    store.contacts.save(Contact(channel=Channel.EMAIL, address="a@example.com", account_id="acct-1"))
    store.contacts.save(Contact(channel=Channel.SMS, address="+1555", account_id="acct-2"))
    unlinked = store.contacts.save(Contact(channel=Channel.SMS, address="+1666", account_id="acct-1"))
    store.contacts.save(unlinked.model_copy(update={"account_id": None}))
    mine = store.contacts.list_for_account("acct-1")
    assert [(c.channel, c.address) for c in mine] == [(Channel.EMAIL, "a@example.com"), (Channel.TELEGRAM, "77")]


def test_a_link_code_is_taken_once_and_never_after_it_expires(store: Store) -> None:
    code = LinkCode(code="K7Q2M9", account_id="acct-1", expires_at=at(10))
    store.link_codes.add(code, now=T0)
    with pytest.raises(AlreadyExists):
        store.link_codes.add(code.model_copy(update={"account_id": "acct-2"}), now=at(1))
    assert store.link_codes.take("K7Q2M9", now=at(5)) == code
    assert store.link_codes.take("K7Q2M9", now=at(5)) is None
    store.link_codes.add(LinkCode(code="OLD111", account_id="acct-1", expires_at=at(10)), now=T0)
    assert store.link_codes.take("OLD111", now=at(10)) is None  # expired at 10
    assert store.link_codes.take("NEVER", now=T0) is None
    store.link_codes.add(LinkCode(code="REUSE1", account_id="acct-1", expires_at=at(2)), now=T0)
    store.link_codes.add(LinkCode(code="REUSE1", account_id="acct-2", expires_at=at(20)), now=at(3))  # expired one
    assert store.link_codes.take("REUSE1", now=at(4)).account_id == "acct-2"


def test_messages_are_recorded_once_updated_and_listed_newest_first(store: Store) -> None:
    for n in (1, 3, 2):
        store.messages.add(make_message(f"M{n}", n))
    with pytest.raises(AlreadyExists):
        store.messages.add(make_message("M1"))
    sent = make_message("M2", 2).model_copy(update={"status": MessageStatus.SENT, "provider_id": "SM123"})
    store.messages.save(sent)
    assert store.messages.get("M2") == sent
    assert store.messages.get("missing") is None
    with pytest.raises(NotFound):
        store.messages.save(make_message("M9"))
    later = T0 + timedelta(hours=1)
    assert [m.id for m in store.messages.recent(now=later, limit=2)] == ["M3", "M2"]
    assert [m.id for m in store.messages.recent(now=later)] == ["M3", "M2", "M1"]
    assert [m.id for m in store.messages.recent(now=T0 + timedelta(minutes=2))] == ["M2", "M1"]
    assert store.messages.recent(now=later)[2].actions == [Action(label="Confirm", command="yes 4821")]


def test_held_messages_come_due_at_their_time_soonest_first_and_leave_once_released(store: Store) -> None:
    for n, until in ((1, 30), (2, 10), (3, 50)):
        until_at = T0 + timedelta(minutes=until)
        store.messages.add(make_message(f"H{n}", n, status=MessageStatus.HELD, held_until=until_at))
    store.messages.add(make_message("S1", 4))  # queued, never held
    assert store.messages.due(now=T0) == []
    assert [m.id for m in store.messages.due(now=T0 + timedelta(minutes=30))] == ["H2", "H1"]
    assert [m.id for m in store.messages.due(now=T0 + timedelta(hours=1), limit=1)] == ["H2"]
    released = store.messages.get("H2").model_copy(update={"status": MessageStatus.QUEUED})
    store.messages.save(released)
    assert [m.id for m in store.messages.due(now=T0 + timedelta(hours=1))] == ["H1", "H3"]
