"""What goes out is bounded: the LLM is asked for a bounded answer (max_tokens), an agent turn keeps at most
MAX_REPLY_LENGTH characters of whatever the model said, and every message is cut to its channel's size before
a provider sees it, so a runaway answer costs one message, not hundreds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.limits import MAX_REPLY_LENGTH
from agent.llm import chat_model, llm_settings_from_env
from channels.policies import policies
from core.channels import Channel, Inbound
from core.usecases.messaging import inbox
from tests.agent.llm_support import agent
from tests.agent.llm_support import service as service
from tests.support import ScriptedLanguage
from tests.unit.test_channel_inbox import Recorder, linked, message, senders  # noqa: F401

HUGE = "The market is calm. " * 50_000  # a 1 MB answer


def test_the_model_is_asked_for_a_bounded_answer() -> None:
    settings = llm_settings_from_env({"OPENAI_API_KEY": "sk-test"})
    assert chat_model(settings).max_tokens == settings.max_tokens == 800
    custom = llm_settings_from_env({"OPENAI_API_KEY": "sk-test", "PARLEY_LLM_MAX_TOKENS": "300"})
    assert chat_model(custom).max_tokens == 300


def test_a_huge_model_answer_is_cut_to_the_longest_reply(service) -> None:
    bot, _ = agent(service, HUGE)
    reply = bot.respond("alice", [], "how is the market?")
    assert len(reply.text) <= MAX_REPLY_LENGTH
    assert reply.text.startswith("The market is calm.")


@pytest.mark.parametrize("channel", list(Channel))
def test_every_reply_is_cut_to_its_channels_size_before_it_is_sent(service, senders, clock, channel) -> None:  # noqa: F811
    address = {Channel.EMAIL: "alice@example.com", Channel.TELEGRAM: "4242"}.get(channel, "+15550001111")
    linked(service, senders, clock, channel=channel, sender=address)

    inbound = Inbound(id=f"{channel.value}:BIG", channel=channel, sender=address, text="positions",
                      received_at=clock.now)
    [sent] = inbox.answer(replace(service, language=ScriptedLanguage(answer=HUGE)), senders, inbound)
    [provider_saw] = [m for m in senders[channel].sent if m.id == sent.id]
    assert len(provider_saw.text) <= policies()[channel].max_length
    assert provider_saw.text.startswith("The market is calm.") and provider_saw.text.endswith("[cut]")
    assert service.store.messages.get(sent.id).text == provider_saw.text
