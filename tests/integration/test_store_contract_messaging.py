"""The contract of the messaging repositories inside a unit of work (contacts, link codes, outbound messages and
notifications), run against every adapter (SQLite, DynamoDB under moto, memory) through the ``store`` fixture:
a messaging use case's writes commit together or not at all, like a trading one's."""

from __future__ import annotations

import pytest

from core.channels import Channel, Contact, LinkCode, MessageStatus
from core.errors import AlreadyExists, ConcurrentUpdate
from core.ports.store import Store
from tests.integration.test_store_contract_channels import make_message
from tests.integration.test_store_contract_outbox import make_notification
from tests.integration.test_store_records import T0, at

PHONE = "+15550001111"


def _seed(store: Store) -> Contact:
    """A linked contact, a waiting link code, a queued message and an unsent notification, stored alone."""
    store.link_codes.add(LinkCode(code="K7Q2M9", account_id="acct-1", expires_at=at(600)), now=T0)
    store.messages.add(make_message("M1"))
    store.notifications.add(make_notification("N1"))
    return store.contacts.save(Contact(channel=Channel.SMS, address=PHONE, last_inbound_at=T0))


def _write_everything(uow, contact: Contact) -> None:
    """One messaging use case's writes: link the sender, take and issue codes, record and move messages."""
    assert uow.link_codes.take("K7Q2M9", now=at(5)).account_id == "acct-1"
    uow.contacts.save(contact.model_copy(update={"account_id": "acct-1", "linked_at": at(5)}))
    uow.contacts.save(Contact(channel=Channel.TELEGRAM, address="77", account_id="acct-1"))
    uow.link_codes.add(LinkCode(code="NEW123", account_id="acct-2", expires_at=at(900)), now=at(5))
    uow.messages.add(make_message("M2", 1))
    uow.messages.save(make_message("M1").model_copy(update={"status": MessageStatus.SENT, "provider_id": "SM1"}))
    uow.notifications.add(make_notification("N2"))
    uow.notifications.mark_sent(make_notification("N1"), at(5))


def test_a_units_contact_link_code_message_and_notification_writes_commit_together(store: Store) -> None:
    contact = _seed(store)
    with store.unit() as uow:
        _write_everything(uow, contact)
        uow.commit()
    assert store.contacts.get(Channel.SMS, PHONE).account_id == "acct-1"
    assert store.contacts.get(Channel.TELEGRAM, "77").version == 1
    assert store.link_codes.take("K7Q2M9", now=at(6)) is None  # taken by the unit
    assert store.link_codes.take("NEW123", now=at(6)).account_id == "acct-2"
    assert store.messages.get("M2") is not None
    assert store.messages.get("M1").status is MessageStatus.SENT
    assert store.notifications.get("N2") is not None
    assert store.notifications.get("N1").sent_at == at(5)


def test_a_unit_left_without_commit_keeps_none_of_its_messaging_writes(store: Store) -> None:
    contact = _seed(store)
    with store.unit() as uow:
        _write_everything(uow, contact)
    assert store.contacts.get(Channel.SMS, PHONE) == contact
    assert store.contacts.get(Channel.TELEGRAM, "77") is None
    assert store.link_codes.take("NEW123", now=at(6)) is None
    assert store.link_codes.take("K7Q2M9", now=at(6)).account_id == "acct-1"  # the unit's take was undone
    assert store.messages.get("M2") is None
    assert store.messages.get("M1").status is MessageStatus.QUEUED
    assert store.notifications.get("N2") is None
    assert store.notifications.get("N1").sent_at is None


def test_a_refused_messaging_write_refuses_the_whole_unit(store: Store) -> None:
    """A message id already recorded (the send was seen) keeps nothing of the unit, the link included."""
    contact = _seed(store)
    with pytest.raises(AlreadyExists), store.unit() as uow:
        uow.contacts.save(contact.model_copy(update={"account_id": "acct-1"}))
        uow.link_codes.take("K7Q2M9", now=at(5))
        try:
            uow.messages.add(make_message("M1", text="again"))
        finally:
            uow.commit()
    assert store.contacts.get(Channel.SMS, PHONE).account_id is None
    assert store.link_codes.take("K7Q2M9", now=at(6)) is not None
    assert store.messages.get("M1").text == "hello M1"


def test_a_link_code_taken_again_while_a_unit_holds_it_is_never_had_by_both(store: Store) -> None:
    """Two takers of one code never both get it, inside units too. On SQLite and memory the unit's take is already
    done, so the second taker finds nothing; on DynamoDB the unit's delete waits for commit, so the second taker
    gets the code and the unit's commit is refused with its link (ConcurrentUpdate)."""
    contact = _seed(store)
    with store.unit() as uow:
        mine = uow.link_codes.take("K7Q2M9", now=at(5))
        assert mine is not None
        uow.contacts.save(contact.model_copy(update={"account_id": mine.account_id}))
        theirs = store.link_codes.take("K7Q2M9", now=at(5))
        if theirs is None:
            uow.commit()
        else:
            with pytest.raises(ConcurrentUpdate):
                uow.commit()
    linked = store.contacts.get(Channel.SMS, PHONE).account_id == "acct-1"
    assert linked != (theirs is not None)  # exactly one taker: the unit (and its link) or the other
    assert store.link_codes.take("K7Q2M9", now=at(6)) is None
