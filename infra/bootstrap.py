"""The composition root: real adapters from settings, or fakes from tests; every door gets its parts here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from channels.policies import policies
from core.errors import InvalidRequest
from core.instruments import InstrumentCatalog
from core.orders import OrderRequest, utcnow
from core.ports.broker import Broker
from core.ports.channel import InboundQueue, Senders
from core.ports.queue import EventPublisher, NotifyQueue
from core.ports.store import Store
from core.sessions import Sessions
from core.usecases import Deps
from core.usecases.alert_engine import AlertEngine
from infra.brokers.router import build_broker
from infra.queues import (
    InProcessInbox,
    InProcessPublisher,
    InProcessQueue,
    event_publisher,
    inbound_queue,
    notify_queue,
)
from infra.secrets import jwt_secret
from infra.settings import Settings, get_settings
from infra.stores import open_store

if TYPE_CHECKING:
    from agent.conversation import Conversation


@dataclass
class Platform:
    settings: Settings
    deps: Deps
    secret_source: Callable[[], str] = field(repr=False, default=lambda: "")
    notify_queue: NotifyQueue = field(default_factory=InProcessQueue)
    events: EventPublisher = field(default_factory=InProcessPublisher)
    inbox: InboundQueue = field(default_factory=InProcessInbox)  # the conversation queue the webhooks feed
    # A warm stream consumer's alert index, kept across batches (see core/usecases/alert_engine.py).
    alert_engine: AlertEngine = field(default_factory=AlertEngine)

    @property
    def store(self) -> Store:
        return self.deps.store

    def jwt_secret(self) -> str:
        return self.secret_source()

    @cached_property
    def senders(self) -> Senders:
        """The channel senders, built on first use (the webhooks never send)."""
        from infra.channels import build_senders

        return build_senders(self.settings)

    @cached_property
    def conversation(self) -> Conversation:
        from agent.conversation import Conversation  # built on the first chat, not on every cold start
        from infra.llm import LlmEnvironment

        return Conversation(self.deps, env=LlmEnvironment(self.settings))

    @staticmethod
    def read_order(text: str) -> OrderRequest:
        """A Parley command ("buy 10 AAPL @ 190") read into an order by the grammar, for signals that carry
        text. The grammar is imported on the first such signal, not on a stream consumer's cold start."""
        from agent.grammar import parse

        intent = parse(text)
        if getattr(intent, "intent", None) != "place_order":
            raise InvalidRequest(f"{text!r} is not an order Parley can read.", code="not_an_order")
        return intent.to_order_request()  # type: ignore[attr-defined]


def build_platform(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    broker: Broker | None = None,
    clock: Callable[[], datetime] = utcnow,
    secret: str | None = None,
) -> Platform:
    settings = settings or get_settings()
    catalog = InstrumentCatalog.default()
    store = store or open_store(settings.store_url)
    broker = broker or build_broker(settings, store, catalog, clock)
    deps = Deps(
        store=store, broker=broker, catalog=catalog, clock=clock, sessions=Sessions.named(settings.calendar),
        policies=policies(),
    )
    source = (lambda: secret) if secret is not None else (lambda: jwt_secret(settings))
    return Platform(settings=settings, deps=deps, secret_source=source, notify_queue=notify_queue(settings),
                    events=event_publisher(settings), inbox=inbound_queue(settings))
