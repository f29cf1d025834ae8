"""Who may link and unlink a sender from a chat: only a verified sender (a forged email, SPF/DKIM failed, can
neither take an address over nor cut it loose), an address already linked to one account is not moved to
another until that account lets it go, and a sender guessing codes is answered five times an hour, then not."""

from __future__ import annotations

import pytest

from core import usecases as uc
from core.channels import Channel
from core.usecases.messaging import links
from tests.unit.test_channel_inbox import Recorder, answer, linked, message, senders  # noqa: F401

ALICE_MAIL = {"channel": Channel.EMAIL, "sender": "alice@example.com"}


def test_a_forged_email_cannot_unlink_a_traders_address(service, senders, clock) -> None:  # noqa: F811
    linked(service, senders, clock, **ALICE_MAIL)
    refused = answer(service, senders, message(clock, "unlink", n=1, verified=False, **ALICE_MAIL))
    assert "SPF/DKIM" in refused[0].text and "link" in refused[0].text
    assert service.store.contacts.get(Channel.EMAIL, "alice@example.com").account_id == "alice"


def test_a_forged_email_cannot_link_an_address_to_another_account(service, senders, clock) -> None:  # noqa: F811
    uc.create_account(service, "mallory")
    code = links.new_code(service, uc.get_account(service, "mallory"))
    forged = answer(service, senders, message(clock, f"link {code.code}", n=1, verified=False, **ALICE_MAIL))
    assert "SPF/DKIM" in forged[0].text
    assert service.store.contacts.get(Channel.EMAIL, "alice@example.com").account_id is None
    # the code was not spent on the forgery: its owner may still use it from a verified address
    other = {"channel": Channel.EMAIL, "sender": "mallory@example.com"}
    assert "account mallory" in answer(service, senders, message(clock, f"link {code.code}", n=2, **other))[0].text


def test_an_address_linked_to_one_account_is_not_moved_by_a_code_for_another(service, senders, clock) -> None:  # noqa: F811
    linked(service, senders, clock, **ALICE_MAIL)
    uc.create_account(service, "bob")
    code = links.new_code(service, uc.get_account(service, "bob"))
    asked = answer(service, senders, message(clock, f"link {code.code}", n=1, **ALICE_MAIL))
    assert "account alice" in asked[0].text and "unlink" in asked[0].text
    assert service.store.contacts.get(Channel.EMAIL, "alice@example.com").account_id == "alice"
    # once alice's address lets go (a verified unlink from it), the same code links it to bob
    answer(service, senders, message(clock, "unlink", n=2, **ALICE_MAIL))
    moved = answer(service, senders, message(clock, f"link {code.code}", n=3, **ALICE_MAIL))
    assert "account bob" in moved[0].text
    assert service.store.contacts.get(Channel.EMAIL, "alice@example.com").account_id == "bob"


def test_after_five_wrong_codes_in_an_hour_a_sender_gets_no_answer_and_no_code_is_tried(
    service, senders, clock  # noqa: F811
) -> None:
    answers = [answer(service, senders, message(clock, f"link WRONG{n:03d}", n=n)) for n in range(1, 8)]
    assert [len(a) for a in answers] == [1, 1, 1, 1, 1, 0, 0]
    assert all("not valid" in a[0].text for a in answers[:5])
    code = links.new_code(service, uc.get_account(service, "alice"))
    assert answer(service, senders, message(clock, f"link {code.code}", n=8)) == []
    assert service.store.contacts.get(Channel.SMS, "+15550001111").account_id is None
    # another sender is not held back by this one's guesses
    other = answer(service, senders, message(clock, f"link {code.code}", n=9, sender="+15550002222"))
    assert "account alice" in other[0].text


def test_wrong_codes_older_than_an_hour_stop_counting(service, senders, clock) -> None:  # noqa: F811
    for n in range(1, 6):
        answer(service, senders, message(clock, f"link WRONG{n:03d}", n=n))
    clock.advance(minutes=61)
    code = links.new_code(service, uc.get_account(service, "alice"))
    assert "account alice" in answer(service, senders, message(clock, f"link {code.code}", n=6))[0].text


class ReplyNotRecorded(Exception):
    pass


def test_a_link_whose_reply_cannot_be_recorded_binds_nothing_and_leaves_the_code_for_a_retry(
    service, senders, clock, monkeypatch  # noqa: F811
) -> None:
    """The code taken, the contact bound and the reply recorded are one unit of work: all or nothing."""
    code = links.new_code(service, uc.get_account(service, "alice"))
    opened = service.store.unit

    def reply_fails():
        unit = opened()

        def add(message):
            raise ReplyNotRecorded(message.id)

        unit.messages.add = add
        return unit

    def add(message):
        raise ReplyNotRecorded(message.id)

    monkeypatch.setattr(service.store, "unit", reply_fails)
    monkeypatch.setattr(service.store.messages, "add", add)  # wherever the reply is written, it fails
    with pytest.raises(ReplyNotRecorded):
        answer(service, senders, message(clock, f"link {code.code}", n=1))
    assert service.store.contacts.get(Channel.SMS, "+15550001111") is None
    monkeypatch.undo()
    retried = answer(service, senders, message(clock, f"link {code.code}", n=2))
    assert "account alice" in retried[0].text
    assert service.store.contacts.get(Channel.SMS, "+15550001111").account_id == "alice"
