"""The local platform with its channel webhooks, for the per-channel end-to-end tests: the FastAPI app that
`parley serve` runs (API plus webhook routes, each request wrapped into the HTTP API event its Lambda handler
takes), the conversation worker answering accepted messages when ``drain`` is called, and the notify worker
delivering the notifications the relay takes from the outbox. No provider credentials: every send lands in
the local outbox (the message store), which ``outbox`` reads like `parley outbox --json` does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from core import usecases as uc
from core.accounts import Role
from core.channels import OutboundMessage
from core.market import Quote
from core.orders import Order
from core.ports.store import Store
from functions.api.app import create_app
from infra.bootstrap import Platform, build_platform
from infra.brokers.paper import PaperBroker
from infra.settings import Settings
from infra.stores import open_store
from infra.tokens import issue_token
from local.channels import LocalConversations, mount_channel_webhooks
from local.streams import relay_and_log
from tests.support import Clock

JWT_SECRET = "channel-tests-secret-0123456789abcdefghijklmnop"
TELEGRAM_SECRET = "tg-webhook-secret-token_0123456789"
TWILIO_TOKEN = "twilio-auth-token-0123456789abcdef"
SENDGRID_TOKEN = "sendgrid-inbound-token-0123456789"
PUBLIC_BASE_URL = "https://parley.example.com"


@dataclass
class LocalChannels:
    platform: Platform
    client: TestClient
    clock: Clock
    conversations: LocalConversations
    tokens: dict[str, str] = field(default_factory=dict)

    def drain(self) -> None:
        """Let the workers run: answer every accepted message, then relay and deliver notifications."""
        self.conversations.drain()
        relay_and_log(self.platform)

    def outbox(self) -> list[OutboundMessage]:
        """Every outbound message, oldest first."""
        return list(reversed(self.platform.store.messages.recent(now=self.clock.now + timedelta(days=1),
                                                                  limit=1000)))

    def token(self, account_id: str) -> str:
        account = uc.get_account(self.platform.deps, account_id)
        return issue_token(account, JWT_SECRET, timedelta(hours=1))

    def link_code(self, account_id: str) -> str:
        response = self.client.post("/v1/links", headers={"Authorization": f"Bearer {self.token(account_id)}"})
        assert response.status_code == 201, response.text
        return response.json()["code"]

    def quote(self, symbol: str, bid: str, ask: str) -> None:
        uc.on_quote(self.platform.deps, Quote(symbol=symbol, bid=Decimal(bid), ask=Decimal(ask), time=self.clock.now))

    def orders(self, account_id: str) -> list[Order]:
        return self.platform.store.orders.list_for_account(account_id)


def local_channels(*, store: Store | None = None, **settings: Any) -> LocalChannels:
    """A fresh local platform: memory store (or ``store``), paper broker, markets always open, accounts alice and
    ops (admin), the webhook secrets above (override any with ``settings``)."""
    clock = Clock()
    values = {"jwt_secret": JWT_SECRET, "telegram_webhook_secret": TELEGRAM_SECRET, "twilio_auth_token": TWILIO_TOKEN,
              "public_base_url": PUBLIC_BASE_URL, "sendgrid_inbound_token": SENDGRID_TOKEN,
              "calendar": "always-open", "feed": "off"} | settings
    store = store if store is not None else open_store("memory://")
    platform = build_platform(Settings.model_validate(values), store=store, broker=PaperBroker(), clock=clock,
                              secret=JWT_SECRET)
    uc.create_account(platform.deps, "alice")
    uc.create_account(platform.deps, "ops", role=Role.ADMIN)
    conversations = LocalConversations(platform)
    app = create_app(platform)
    mount_channel_webhooks(app, platform)
    return LocalChannels(platform=platform, client=TestClient(app), clock=clock, conversations=conversations)
