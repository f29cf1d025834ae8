"""The composition root: real adapters from settings, or fakes from tests; every door gets its parts here."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from channels.policies import policies
from core.accounts import Account
from core.instruments import InstrumentCatalog
from core.orders import OrderRequest, utcnow
from core.ports.broker import Broker
from core.ports.channel import InboundQueue, Senders
from core.ports.language import Language, Reply
from core.ports.queue import EventPublisher, NotifyQueue
from core.ports.store import Store
from core.sessions import Sessions
from core.usecases import Deps
from core.usecases.market import AlertEngine
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


class LazyLanguage(Language):
    """The language port as the platform holds it: the agent's implementation, built by ``build`` on the first
    word read, once however many threads ask. Building the platform loads nothing of the agent, so a handler
    that never reads words (the API's trading routes, the webhooks, a stream of prices) keeps its cold start."""

    def __init__(self, build: Callable[[], Language]) -> None:
        self._build = build
        self._built: Language | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> Language:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._build()
        return self._built

    def converse(self, account: Account | str, thread: str, text: str) -> Sequence[Reply]:
        return self.built.converse(account, thread, text)

    def asks_only(self, text: str) -> bool:
        return self.built.asks_only(text)

    def read_order(self, text: str) -> OrderRequest:
        return self.built.read_order(text)


def agent_language(settings: Settings, deps: Callable[[], Deps]) -> LazyLanguage:
    """The agent's language over the platform's deps, asked for when it is first built (the deps hold the language,
    and a test may have put the platform on another clock since), with the chat model's key from the LLM secret
    in AWS (infra/llm.py)."""

    def build() -> Language:
        from agent.language import AgentLanguage  # the agent package: on the first word read, not on a cold start
        from infra.llm import LlmEnvironment

        return AgentLanguage(deps(), env=LlmEnvironment(settings))

    return LazyLanguage(build)


@dataclass
class Platform:
    settings: Settings
    deps: Deps
    secret_source: Callable[[], str] = field(repr=False, default=lambda: "")
    notify_queue: NotifyQueue = field(default_factory=InProcessQueue)
    events: EventPublisher = field(default_factory=InProcessPublisher)
    inbox: InboundQueue = field(default_factory=InProcessInbox)  # the conversation queue the webhooks feed
    # A warm stream consumer's alert index, kept across batches (see core/usecases/market/alert_engine.py).
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

    @property
    def language(self) -> Language:
        """Words read and answered (the chat API, the conversation worker, the console): ``deps.language``."""
        return self.deps.require_language()


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
        language=agent_language(settings, lambda: platform.deps),  # the platform's deps when first read
    )
    source = (lambda: secret) if secret is not None else (lambda: jwt_secret(settings))
    platform = Platform(settings=settings, deps=deps, secret_source=source, notify_queue=notify_queue(settings),
                        events=event_publisher(settings), inbox=inbound_queue(settings))
    return platform
