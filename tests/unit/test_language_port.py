"""The language port (core/ports/language.py): the agent's implementation reads questions and orders with the
grammar alone; the platform builds it once, lazily, over its own deps; the inbox and the stream's signals ask
``deps.language`` and nothing else, so a scripted fake stands in for the agent."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from decimal import Decimal as D

import pytest

from agent.language import AgentLanguage
from core import usecases as uc
from core.channels import Channel, Contact, Inbound
from core.envelope import Envelope
from core.errors import InvalidRequest
from core.events import WebhookEvent
from core.orders import OrderType, Side
from core.ports.language import Language
from core.signals import SignalMode
from core.usecases import inbox
from core.usecases.alert_engine import AlertEngine
from core.usecases.streams import ingest
from core.wording import messenger
from infra.bootstrap import LazyLanguage, build_platform
from infra.settings import Settings
from infra.stores.memory import MemoryStore
from tests.support import Clock, ScriptedLanguage, order, tick
from tests.unit.test_channel_inbox import Recorder, senders  # noqa: F401

SMS = "+15550001111"


@pytest.mark.parametrize("text", ["positions", "orders", "quote AAPL", "help", "what if I buy 10 AAPL", " risk "])
def test_questions_only_ask(service, text) -> None:
    assert AgentLanguage(service).asks_only(text)


@pytest.mark.parametrize("text", ["buy 10 AAPL", "yes 4821", "cancel all", "close all", "sell everything you can"])
def test_orders_confirmations_and_free_text_do_not_only_ask(service, text) -> None:
    assert not AgentLanguage(service).asks_only(text)


def test_a_signals_command_is_read_into_the_order_it_names(service) -> None:
    request = AgentLanguage(service).read_order("buy 10 AAPL @ 190")
    assert (request.symbol, request.side, request.quantity, request.order_type, request.limit_price) == (
        "AAPL", Side.BUY, D("10"), OrderType.LIMIT, D("190"))


@pytest.mark.parametrize("text", ["positions", "what if I buy 10 AAPL", "buy lots of stuff"])
def test_text_that_is_not_an_order_is_refused_as_not_an_order(service, text) -> None:
    with pytest.raises(InvalidRequest) as refused:
        AgentLanguage(service).read_order(text)
    assert refused.value.code == "not_an_order"


def test_the_lazy_language_is_built_once_however_many_threads_ask_at_once() -> None:
    built: list[Language] = []
    start = threading.Barrier(8)

    def build() -> Language:
        time.sleep(0.02)  # a slow build: every thread arrives while it runs
        built.append(ScriptedLanguage(questions=frozenset({"positions"})))
        return built[-1]

    language = LazyLanguage(build)
    assert built == []  # nothing is built until a word is read
    answers: list[bool] = []

    def ask() -> None:
        start.wait()
        answers.append(language.asks_only("positions"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [True] * 8
    assert len(built) == 1 and language.built is built[0]


def test_the_platforms_language_speaks_over_the_platforms_deps_as_they_are_when_first_read(tmp_path) -> None:
    platform = build_platform(Settings(home=tmp_path, feed="off"), store=MemoryStore(), secret="s")
    platform.deps = replace(platform.deps, clock=Clock())  # as a test puts the platform on its own clock
    assert platform.language.asks_only("positions")
    assert platform.language.built.conversation.deps is platform.deps  # type: ignore[attr-defined]


def inbound(clock: Clock, text: str, n: int, *, verified: bool = True) -> Inbound:
    return Inbound(id=f"sms:M{n}", channel=Channel.SMS, sender=SMS, text=text, received_at=clock.now,
                   verified=verified)


def test_the_inbox_answers_a_linked_sender_with_what_the_language_says(service, senders, clock) -> None:  # noqa: F811
    service.store.contacts.save(Contact(channel=Channel.SMS, address=SMS, account_id="alice"))
    language = ScriptedLanguage(answer="You hold nothing.")
    [sent] = inbox.answer(replace(service, language=language), senders, inbound(clock, "positions", 1))
    assert language.conversed == [("alice", "sms:+15550001111", "positions")]
    assert sent.text == "You hold nothing." and senders[Channel.SMS].sent[-1].text == "You hold nothing."


def test_an_unverified_sender_is_answered_only_where_the_language_reads_a_question(service, senders, clock) -> None:  # noqa: F811
    service.store.contacts.save(Contact(channel=Channel.SMS, address=SMS, account_id="alice"))
    language = ScriptedLanguage(questions=frozenset({"positions"}))
    deps = replace(service, language=language)
    [asked] = inbox.answer(deps, senders, inbound(clock, "positions", 1, verified=False))
    [refused] = inbox.answer(deps, senders, inbound(clock, "buy 10 AAPL", 2, verified=False))
    assert [text for _, _, text in language.conversed] == ["positions"]
    assert asked.text == "ok" and refused.text == messenger.UNVERIFIED


def test_deps_without_a_language_leave_a_message_unanswered_for_a_retry(service, senders, clock) -> None:  # noqa: F811
    service.store.contacts.save(Contact(channel=Channel.SMS, address=SMS, account_id="alice"))
    message = inbound(clock, "positions", 1)
    with pytest.raises(RuntimeError, match="language"):
        inbox.answer(service, senders, message)
    assert senders[Channel.SMS].sent == []
    [sent] = inbox.answer(replace(service, language=ScriptedLanguage()), senders, message)  # the claim was let go
    assert sent.text == "ok"


def signal(service: uc.Deps, clock: Clock, text: str) -> Envelope:
    source = uc.register_signal_source(service, "alice", "tv", SignalMode.STAGE)
    event = WebhookEvent(source_id=source.id, body={"text": text})
    return Envelope(type="webhook.event", id="sig-1", source=f"signals/{source.id}", time=clock.now,
                    data=event.model_dump(mode="json"))


def test_a_signal_on_the_stream_is_read_by_the_language_into_a_ticket(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    language = ScriptedLanguage(orders={"go long": order("AAPL", "buy", "10", order_type="limit", limit_price="190")})
    report = ingest(replace(service, language=language), AlertEngine(), [signal(service, clock, "go long")])
    assert report.processed == 1 and language.read == ["go long"]
    [ticket] = uc.pending_confirmations(service, "alice")
    assert (ticket.symbol, ticket.quantity, ticket.source) == ("AAPL", D("10"), "signal")


def test_a_signal_on_the_stream_is_left_alone_where_deps_has_no_language(service, clock) -> None:
    report = ingest(service, AlertEngine(), [signal(service, clock, "go long")])
    assert (report.processed, dict(report.skipped)) == (0, {"unknown_type": 1})
    assert uc.pending_confirmations(service, "alice") == []
