"""A Telegram and an SMS conversation end to end with the DynamoDB store (moto) under the local platform: the
contacts, link codes, dedup claims and outbound messages of the channels live in the single table as in AWS,
and an order typed in a chat still arrives exactly once."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from core.channels import Channel
from core.orders import OrderStatus
from infra.stores.dynamodb import create_table, open_dynamodb_store
from tests.channels.harness import TELEGRAM_SECRET, LocalChannels, local_channels
from tests.channels.telegram_updates import CHAT, callback_update, message_update
from tests.channels.twilio_support import PATHS, TRADER, inbound_form, signature
from tests.functional.streams_support import fake_aws


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalChannels]:
    fake_aws(monkeypatch)
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, "parley-channels")
        yield local_channels(store=open_dynamodb_store("parley-channels", client))


def telegram(local: LocalChannels, update: dict) -> int:
    status = local.client.post("/webhooks/telegram", json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}).status_code
    local.drain()
    local.clock.advance(seconds=1)
    return status


def test_a_telegram_order_on_dynamodb_is_staged_confirmed_filled_and_notified_once(local) -> None:
    local.quote("AAPL", "190.00", "190.02")
    assert telegram(local, message_update(1, f"link {local.link_code('alice')}")) == 200
    assert telegram(local, message_update(2, "buy 10 AAPL")) == 200
    ticket = local.outbox()[-1]
    command = ticket.actions[0].command
    assert command.startswith("yes ")
    press = callback_update(3, command, ticket.text)
    assert telegram(local, press) == 200
    assert telegram(local, press) == 200  # Telegram delivered the press twice
    orders = local.orders("alice")
    assert [o.status for o in orders] == [OrderStatus.FILLED]
    texts = [m.text for m in local.outbox() if m.channel is Channel.TELEGRAM]
    assert sum(t.startswith("Filled: BUY 10 AAPL") for t in texts) == 1
    assert local.platform.store.contacts.get(Channel.TELEGRAM, str(CHAT)).account_id == "alice"


def test_stop_on_dynamodb_keeps_a_number_silent(local) -> None:
    path = PATHS[Channel.SMS]

    def text(body: str) -> None:
        form = inbound_form(Channel.SMS, body, TRADER)
        signed = {"X-Twilio-Signature": signature(path, form)}
        assert local.client.post(path, data=form, headers=signed).status_code == 200
        local.drain()
        local.clock.advance(seconds=1)

    text(f"link {local.link_code('alice')}")
    before = len(local.outbox())
    text("STOP")
    text("positions")
    assert len(local.outbox()) == before
    assert local.platform.store.contacts.get(Channel.SMS, TRADER).opted_out
