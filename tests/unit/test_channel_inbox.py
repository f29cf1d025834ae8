"""The conversation worker's rules, on the memory store with a recording sender: answered once, keywords,
linking, onboarding once, unverified email kept to questions, replies on the same channel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

import pytest

from agent.language import AgentLanguage
from core import usecases as uc
from core.channels import Channel, Inbound, MessageStatus, OutboundMessage
from core.market import Quote
from core.ports.channel import DeliveryFailed, Sender
from core.usecases.messaging import inbox, links
from tests.support import Clock


@dataclass
class Recorder(Sender):
    channel: Channel = Channel.SMS
    sent: list[OutboundMessage] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    fail: str | None = None

    def send(self, message: OutboundMessage) -> str:
        if self.fail:
            raise DeliveryFailed("refused", reason=self.fail)
        self.sent.append(message)
        return f"SM{len(self.sent)}"

    def acknowledge(self, inbound: Inbound, replies: list[OutboundMessage]) -> None:
        self.acknowledged.append(inbound.id)


@pytest.fixture
def senders() -> dict[Channel, Recorder]:
    return {channel: Recorder(channel) for channel in Channel}


def message(clock: Clock, text: str, *, n: int = 1, channel: Channel = Channel.SMS, sender: str = "+15550001111",
            verified: bool = True) -> Inbound:
    return Inbound(id=f"{channel.value}:M{n}", channel=channel, sender=sender, text=text, received_at=clock.now,
                   verified=verified, context={"subject": "Orders"})


def answer(service: uc.Deps, senders, inbound: Inbound) -> list[OutboundMessage]:
    return inbox.answer(replace(service, language=AgentLanguage(service)), senders, inbound)


def linked(service: uc.Deps, senders, clock: Clock, *, channel: Channel = Channel.SMS,
           sender: str = "+15550001111") -> None:
    code = links.new_code(service, uc.get_account(service, "alice"))
    answer(service, senders, message(clock, f"link {code.code}", n=0, channel=channel, sender=sender))


def test_a_stranger_gets_one_onboarding_reply_and_then_nothing(service, senders, clock) -> None:
    first = answer(service, senders, message(clock, "buy 10 AAPL"))
    assert len(first) == 1 and "not linked" in first[0].text and "link <code>" in first[0].text
    assert answer(service, senders, message(clock, "positions", n=2)) == []
    assert [m.text for m in senders[Channel.SMS].sent] == [first[0].text]
    assert service.store.orders.list_for_account("alice") == []


def test_linking_binds_the_sender_to_the_codes_account_once_and_a_used_code_fails(service, senders, clock) -> None:
    code = links.new_code(service, uc.get_account(service, "alice"))
    reply = answer(service, senders, message(clock, f"link {code.code.lower()}"))
    assert "account alice" in reply[0].text
    contact = service.store.contacts.get(Channel.SMS, "+15550001111")
    assert contact.account_id == "alice" and contact.linked_at == clock.now
    again = answer(service, senders, message(clock, f"link {code.code}", n=2, sender="+15550002222"))
    assert "not valid or has expired" in again[0].text
    assert service.store.contacts.get(Channel.SMS, "+15550002222").account_id is None


def test_an_expired_code_links_nothing(service, senders, clock) -> None:
    code = links.new_code(service, uc.get_account(service, "alice"))
    clock.advance(minutes=11)
    reply = answer(service, senders, message(clock, f"link {code.code}"))
    assert "expired" in reply[0].text
    assert service.store.contacts.get(Channel.SMS, "+15550001111").account_id is None


def test_a_linked_sender_trades_and_a_redelivered_message_is_answered_once(service, senders, clock) -> None:
    linked(service, senders, clock)
    uc.on_quote(service, Quote(symbol="AAPL", bid=Decimal("190"), ask=Decimal("190.02"), time=clock.now))
    ticket = answer(service, senders, message(clock, "buy 10 AAPL", n=1))
    assert ticket[0].actions and ticket[0].actions[0].command.startswith("yes ")
    assert answer(service, senders, message(clock, "buy 10 AAPL", n=1)) == []  # the same message again
    code = ticket[0].actions[0].command
    done = answer(service, senders, message(clock, code, n=2))
    assert "filled" in done[0].text.lower() or "done" in done[0].text.lower()
    assert len(service.store.orders.list_for_account("alice")) == 1
    assert all(service.store.messages.get(m.id).status is MessageStatus.SENT for m in senders[Channel.SMS].sent)


def test_stop_silences_a_number_until_start_and_help_says_how_to_opt_out(service, senders, clock) -> None:
    linked(service, senders, clock)
    sent_before = len(senders[Channel.SMS].sent)
    assert answer(service, senders, message(clock, "STOP", n=1)) == []
    assert service.store.contacts.get(Channel.SMS, "+15550001111").opted_out
    assert answer(service, senders, message(clock, "positions", n=2)) == []
    assert len(senders[Channel.SMS].sent) == sent_before
    back = answer(service, senders, message(clock, "start", n=3))
    assert "again" in back[0].text and not service.store.contacts.get(Channel.SMS, "+15550001111").opted_out
    helped = answer(service, senders, message(clock, "HELP", n=4))
    assert "STOP" in helped[-1].text


def test_stop_means_nothing_special_on_telegram_or_email(service, senders, clock) -> None:
    linked(service, senders, clock, channel=Channel.TELEGRAM, sender="4242")
    reply = answer(service, senders, message(clock, "stop", n=1, channel=Channel.TELEGRAM, sender="4242"))
    assert reply and not service.store.contacts.get(Channel.TELEGRAM, "4242").opted_out


def test_an_unverified_email_may_ask_but_never_stage_or_confirm(service, senders, clock) -> None:
    linked(service, senders, clock, channel=Channel.EMAIL, sender="alice@example.com")
    mail = {"channel": Channel.EMAIL, "sender": "alice@example.com", "verified": False}
    refused = answer(service, senders, message(clock, "buy 10 AAPL", n=1, **mail))
    assert "SPF/DKIM" in refused[0].text
    assert answer(service, senders, message(clock, "yes 4821", n=2, **mail))[0].text == refused[0].text
    asked = answer(service, senders, message(clock, "positions", n=3, **mail))
    assert "SPF/DKIM" not in asked[0].text
    assert asked[0].subject == "Re: Orders"
    assert uc.pending_confirmations(service, uc.get_account(service, "alice")) == []


def test_unlink_on_the_channel_unbinds_it(service, senders, clock) -> None:
    linked(service, senders, clock)
    reply = answer(service, senders, message(clock, "unlink", n=1))
    assert "Unlinked from account alice" in reply[0].text
    assert service.store.contacts.list_for_account("alice") == []


def test_a_failed_send_releases_the_message_for_a_retry_that_sends_it(service, senders, clock) -> None:
    senders[Channel.SMS].fail = "unavailable"
    with pytest.raises(DeliveryFailed):
        answer(service, senders, message(clock, "hello"))
    senders[Channel.SMS].fail = None
    clock.advance(seconds=5)
    replies = answer(service, senders, message(clock, "hello"))
    assert len(replies) == 1 and replies[0].status is MessageStatus.SENT
    assert len(senders[Channel.SMS].sent) == 1


def test_a_reply_refused_for_good_is_recorded_and_not_retried(service, senders, clock) -> None:
    linked(service, senders, clock)
    senders[Channel.SMS].fail = "opted_out"  # Twilio's 21610: the number unsubscribed at the carrier
    replies = answer(service, senders, message(clock, "positions", n=1))
    assert [(m.status, m.error) for m in replies] == [(MessageStatus.FAILED, "opted_out")]
    assert service.store.contacts.get(Channel.SMS, "+15550001111").opted_out
    senders[Channel.SMS].fail = None
    assert answer(service, senders, message(clock, "positions", n=1)) == []  # a redelivery: answered already
    assert senders[Channel.SMS].sent[1:] == []


def test_a_linked_sender_acts_with_its_accounts_role(service, senders, clock) -> None:
    linked(service, senders, clock)  # alice, a trader
    refused = answer(service, senders, message(clock, "kill switch", n=1))
    assert "admin" in refused[0].text.lower() and not uc.kill_switch_state(service)
    code = links.new_code(service, uc.get_account(service, "ops"))  # ops is an admin
    admin = {"channel": Channel.TELEGRAM, "sender": "777"}
    answer(service, senders, message(clock, f"link {code.code}", n=2, **admin))
    engaged = answer(service, senders, message(clock, "kill switch", n=3, **admin))
    assert engaged[0].text.startswith("Global kill switch ON")
    assert uc.kill_switch_state(service)


def test_the_webhook_half_queues_once_per_dedup_key(service, clock) -> None:
    class Queue:
        def __init__(self) -> None:
            self.items: list[Inbound] = []

        def send(self, inbound: Inbound) -> None:
            self.items.append(inbound)

    queue = Queue()
    assert inbox.accept(service, queue, message(clock, "hi"))
    assert not inbox.accept(service, queue, message(clock, "hi"))
    assert len(queue.items) == 1
    clock.advance(days=8)  # past the dedup window a provider would never retry
    assert inbox.accept(service, queue, message(clock, "hi"))


def test_quiet_link_codes_expire_after_ten_minutes(service, clock) -> None:
    code = links.new_code(service, uc.get_account(service, "alice"))
    assert code.expires_at == clock.now + timedelta(minutes=10)
