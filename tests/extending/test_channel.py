"""docs/extending.md, "A channel", done once: a toy SMS provider with the three modules of a provider home
(``inbound``: verify the shared secret and read a request into the core's Inbound; ``sender``: the Sender port;
``policy``: the ChannelPolicy port with its own keywords and length), its webhook a shell, driven through the
inbox use case on the memory store. Nothing in core or in the inbox changes for it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import pytest

from channels.verify import same_secret
from core import usecases as uc
from core.channels import Channel, Inbound, OutboundMessage
from core.errors import InvalidRequest
from core.ports.channel import ChannelPolicy, Keyword, OptIn, Sender
from core.usecases.messaging import inbox, links
from tests.support import Clock, ScriptedLanguage

SECRET = "toy-secret"


# channels/toy/inbound.py
def verified(headers: Mapping[str, str], secret: str) -> bool:
    return same_secret(headers.get("x-toy-secret"), secret)


def read(raw: bytes, now: datetime) -> Inbound:
    try:
        body = json.loads(raw)
        return Inbound(id=f"toy:{body['id']}", channel=Channel.SMS, sender=body["from"], text=body["text"],
                       received_at=now, verified=True)
    except (ValueError, KeyError, TypeError):
        raise InvalidRequest("The body is not a toy SMS.", code="malformed_body") from None


# channels/toy/sender.py
@dataclass
class ToySender(Sender):
    channel: Channel = Channel.SMS
    sent: list[OutboundMessage] = field(default_factory=list)

    def send(self, message: OutboundMessage) -> str:
        self.sent.append(message)
        return f"TOY{len(self.sent)}"


# channels/toy/policy.py
class ToyPolicy(ChannelPolicy):
    channel = Channel.SMS
    max_length = 60
    opt_in = OptIn.KEYWORD

    def keyword(self, text: str) -> Keyword | None:
        return {"pause": Keyword.OPT_OUT, "resume": Keyword.OPT_IN}.get(text.strip().lower())


# functions/webhooks/toy.py: a shell, as the other webhooks
def webhook(deps: uc.Deps, sender: ToySender, headers: Mapping[str, str], raw: bytes) -> int:
    if not verified(headers, SECRET):
        return 401
    try:
        inbound = read(raw, deps.now())
    except InvalidRequest:
        return 400
    inbox.answer(deps, {Channel.SMS: sender}, inbound)  # in AWS: inbox.accept onto the queue, the worker answers
    return 200


@pytest.fixture
def toy(service: uc.Deps) -> uc.Deps:
    language = ScriptedLanguage(answer="Your position in AAPL is 10 shares, worth 1,900.20 USD at the last quote.")
    return replace(service, policies={**service.policies, Channel.SMS: ToyPolicy()}, language=language)


def send(deps: uc.Deps, sender: ToySender, n: int, text: str, *, secret: str = SECRET) -> int:
    raw = json.dumps({"id": n, "from": "+15550001111", "text": text}).encode()
    return webhook(deps, sender, {"x-toy-secret": secret}, raw)


def test_a_request_without_the_providers_secret_is_refused_and_nothing_is_answered(toy) -> None:
    sender = ToySender()
    assert send(toy, sender, 1, "hello", secret="wrong") == 401
    assert sender.sent == []
    assert toy.store.contacts.get(Channel.SMS, "+15550001111") is None


def test_a_body_that_is_not_the_providers_message_is_a_400(toy) -> None:
    assert webhook(toy, ToySender(), {"x-toy-secret": SECRET}, b"[]") == 400


def test_a_stranger_gets_the_onboarding_reply_through_the_toy_sender(toy) -> None:
    sender = ToySender()
    assert send(toy, sender, 1, "hello") == 200
    [reply] = sender.sent
    assert reply.to == "+15550001111" and reply.text.startswith("Hi, this is Parley. This number is not linked")


def test_a_linked_traders_answer_is_cut_to_the_toy_policys_length(toy, clock: Clock) -> None:
    sender = ToySender()
    code = links.new_code(toy, uc.get_account(toy, "alice"))
    send(toy, sender, 1, f"link {code.code}")
    send(toy, sender, 2, "positions")
    assert len(sender.sent[-1].text) <= ToyPolicy.max_length
    assert sender.sent[-1].text.startswith("Your position in AAPL")


def test_the_toy_keyword_opts_the_sender_out_until_it_opts_back_in(toy, clock: Clock) -> None:
    sender = ToySender()
    send(toy, sender, 1, "hello")
    send(toy, sender, 2, "PAUSE")
    send(toy, sender, 3, "hello again")
    assert len(sender.sent) == 1  # the onboarding reply only
    send(toy, sender, 4, "RESUME")
    assert len(sender.sent) == 2
