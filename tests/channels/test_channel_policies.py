"""Each channel's rules, as its policy answers the core: the carriers' keywords on SMS and WhatsApp only, matched
as the whole message; WhatsApp's 24-hour window for free text; how an opted-out sender comes back; no message
longer than its provider takes. And the core asks the policy: a rule given to a channel's policy is the rule the
inbox follows, and a message never goes on a channel whose rules were not given."""

from __future__ import annotations

from datetime import timedelta

import pytest

from channels.policies import policies
from channels.sendgrid.policy import EmailPolicy
from channels.telegram.policy import TelegramPolicy
from channels.telegram.sender import MAX_TEXT
from channels.twilio.policy import SmsPolicy, WhatsAppPolicy
from channels.twilio.sender import BODY_LIMIT
from core import usecases as uc
from core.channels import Channel, Contact, Inbound, OutboundMessage
from core.ports.channel import ChannelPolicy, Keyword, OptIn
from core.usecases.messaging import inbox
from core.usecases.messaging.outbound import deliver
from tests.support import Clock, ScriptedLanguage
from tests.unit.test_channel_inbox import Recorder


@pytest.mark.parametrize(("text", "keyword"), [
    ("STOP", Keyword.OPT_OUT), ("  Stop! ", Keyword.OPT_OUT), ("unsubscribe.", Keyword.OPT_OUT),
    ("START", Keyword.OPT_IN), ("unstop", Keyword.OPT_IN), ("Help", Keyword.HELP), ("info", Keyword.HELP),
    ("stop buying AAPL", None), ("please stop", None), ("buy 10 AAPL", None),
])
def test_sms_and_whatsapp_keywords_are_the_whole_message_in_any_case(text, keyword) -> None:
    assert SmsPolicy().keyword(text) is keyword
    assert WhatsAppPolicy().keyword(text) is keyword


@pytest.mark.parametrize("policy", [TelegramPolicy(), EmailPolicy()], ids=lambda p: p.channel.value)
def test_telegram_and_email_have_no_keywords(policy) -> None:
    assert [policy.keyword(word) for word in ("stop", "start", "help")] == [None, None, None]


def test_whatsapp_free_text_is_open_for_24_hours_after_the_traders_last_message(clock: Clock) -> None:
    wrote = Contact(channel=Channel.WHATSAPP, address="whatsapp:+15550001111", last_inbound_at=clock.now)
    policy = WhatsAppPolicy()
    assert policy.free_text_open(wrote, clock.now + timedelta(hours=23, minutes=59))
    assert not policy.free_text_open(wrote, clock.now + timedelta(hours=24))
    assert not policy.free_text_open(wrote.model_copy(update={"last_inbound_at": None}), clock.now)


def test_sms_telegram_and_email_may_always_send_free_text(clock: Clock) -> None:
    silent = Contact(channel=Channel.SMS, address="+15550001111")
    assert all(policy.free_text_open(silent, clock.now) for policy in (SmsPolicy(), TelegramPolicy(), EmailPolicy()))


def test_an_opted_out_sender_comes_back_by_keyword_on_twilio_by_writing_on_telegram() -> None:
    assert {channel: policy.opt_in for channel, policy in policies().items()} == {
        Channel.SMS: OptIn.KEYWORD, Channel.WHATSAPP: OptIn.KEYWORD, Channel.TELEGRAM: OptIn.WRITING,
        Channel.EMAIL: OptIn.NONE,
    }


def test_no_channel_allows_a_message_longer_than_its_provider_takes() -> None:
    assert TelegramPolicy.max_length <= MAX_TEXT
    assert WhatsAppPolicy.max_length <= BODY_LIMIT and SmsPolicy.max_length <= BODY_LIMIT
    assert set(policies()) == set(Channel)


class PausePolicy(EmailPolicy):
    """An email policy with an opt-out keyword of its own: the inbox must follow it, not a word list."""

    opt_in = OptIn.KEYWORD

    def keyword(self, text: str) -> Keyword | None:
        return {"pause": Keyword.OPT_OUT, "resume": Keyword.OPT_IN}.get(text.strip().lower())


def test_the_inbox_follows_the_keywords_its_channels_policy_gives(service: uc.Deps, clock: Clock) -> None:
    deps = uc.Deps(store=service.store, broker=service.broker, clock=clock,
                   policies={**policies(), Channel.EMAIL: PausePolicy()},
                   language=ScriptedLanguage(answer="unused", questions=frozenset({"pause", "hello"})))
    senders = {channel: Recorder(channel) for channel in Channel}

    def mail(text: str, n: int) -> Inbound:
        return Inbound(id=f"email:M{n}", channel=Channel.EMAIL, sender="a@example.com", text=text,
                       received_at=clock.now)

    assert inbox.answer(deps, senders, mail("pause", 1)) == []
    assert deps.store.contacts.get(Channel.EMAIL, "a@example.com").opted_out
    assert inbox.answer(deps, senders, mail("hello", 2)) == []
    assert senders[Channel.EMAIL].sent == []


def test_a_message_never_goes_on_a_channel_whose_policy_was_not_given(service: uc.Deps, clock: Clock) -> None:
    deps = uc.Deps(store=service.store, broker=service.broker, clock=clock)
    sender = Recorder(Channel.SMS)
    message = OutboundMessage(id="m1", channel=Channel.SMS, to="+15550001111", text="hi", created_at=clock.now)
    with pytest.raises(LookupError):
        deliver(deps, {Channel.SMS: sender}, message)
    assert sender.sent == []


def test_every_policy_is_a_channel_policy() -> None:
    assert all(isinstance(policy, ChannelPolicy) and policy.channel is channel
               for channel, policy in policies().items())
