"""POST /webhooks/telegram through its Lambda code (respond, and the handler): the secret token decides before
anything is read, a message or a button press is queued once per update_id, anything else is acknowledged and
dropped, and a body that is not an update is refused."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.channels import Channel, Inbound
from functions.webhooks import http
from functions.webhooks import telegram as webhook
from infra.settings import Settings
from tests.channels.harness import TELEGRAM_SECRET, LocalChannels, local_channels
from tests.channels.telegram_updates import (
    CHAT,
    callback_update,
    edited_update,
    event,
    message_update,
    sticker_update,
)
from tests.functional.conftest import LambdaContext


@pytest.fixture
def local() -> LocalChannels:
    return local_channels()


@pytest.fixture
def queued(local: LocalChannels) -> list[Inbound]:
    """What the webhook put on the conversation queue (the worker is not running)."""
    taken: list[Inbound] = []
    local.platform.inbox.deliver = taken.append
    return taken


def call(local: LocalChannels, update: dict | bytes | str, secret: str | None = TELEGRAM_SECRET) -> tuple[int, dict]:
    response = webhook.respond(local.platform, event(update, secret))
    assert response["headers"] == {"content-type": "application/json"}
    return response["statusCode"], json.loads(response["body"])


def test_a_text_message_is_queued_with_its_chat_as_sender(local, queued) -> None:
    assert call(local, message_update(700, "buy 10 AAPL")) == (200, {"ok": True, "duplicate": False})
    assert queued == [Inbound(id="telegram:700", channel=Channel.TELEGRAM, sender=str(CHAT), text="buy 10 AAPL",
                              received_at=local.clock.now, context={"chat_id": str(CHAT), "message_id": "41"})]


def test_a_button_press_is_queued_as_its_command_with_what_the_answer_needs(local, queued) -> None:
    ticket = "BUY 10 AAPL MKT DAY, risk OK, PAPER.\nReply yes 4821 to confirm"
    code_at = ticket.index("yes 4821")
    update = callback_update(701, "yes 4821", ticket, entities=[{"offset": code_at, "length": 8, "type": "code"}])
    assert call(local, update) == (200, {"ok": True, "duplicate": False})
    assert queued == [Inbound(
        id="telegram:701", channel=Channel.TELEGRAM, sender=str(CHAT), text="yes 4821", received_at=local.clock.now,
        context={"callback_query_id": "4382bfdwdsb323b2d9", "chat_id": str(CHAT), "message_id": "42",
                 "message_html": "BUY 10 AAPL MKT DAY, risk OK, PAPER.\nReply <code>yes 4821</code> to confirm"})]


@pytest.mark.parametrize("secret", [None, "", "tg-webhook-secret-token_0123456788", TELEGRAM_SECRET + "x"])
def test_a_missing_or_forged_secret_is_refused_and_nothing_is_stored_or_queued(local, queued, secret) -> None:
    status, body = call(local, message_update(702, "buy 10 AAPL"), secret=secret)
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert queued == []
    assert call(local, message_update(702, "buy 10 AAPL")) == (200, {"ok": True, "duplicate": False})  # not seen


def test_no_configured_secret_shuts_the_webhook(queued) -> None:
    local = local_channels(telegram_webhook_secret=None)
    local.platform.inbox.deliver = queued.append
    assert call(local, message_update(703, "hi"), secret="")[0] == 401
    assert call(local, message_update(703, "hi"), secret="anything")[0] == 401
    assert queued == []


def test_a_replayed_update_is_acknowledged_and_queued_once(local, queued) -> None:
    update = message_update(704, "buy 10 AAPL")
    assert call(local, update) == (200, {"ok": True, "duplicate": False})
    assert call(local, update) == (200, {"ok": True, "duplicate": True})
    assert [m.id for m in queued] == ["telegram:704"]


def test_concurrent_deliveries_of_one_update_are_queued_once(local, queued) -> None:
    update = message_update(712, "buy 10 AAPL")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: call(local, update), range(8)))
    assert sorted(body["duplicate"] for status, body in answers if status == 200) == [False] + [True] * 7
    assert [m.id for m in queued] == ["telegram:712"]


@pytest.mark.parametrize("update", [sticker_update(705), edited_update(706, "buy 100 AAPL"),
                                    {"update_id": 707, "my_chat_member": {
                                        "chat": {"id": CHAT, "type": "private"},
                                        "from": {"id": CHAT, "is_bot": False, "first_name": "Alice"},
                                        "date": 1795878000,
                                        "old_chat_member": {"status": "member", "user": {
                                            "id": 1, "is_bot": True, "first_name": "Parley"}},
                                        "new_chat_member": {"status": "kicked", "until_date": 0, "user": {
                                            "id": 1, "is_bot": True, "first_name": "Parley"}}}}],
                         ids=["sticker", "edited message", "bot blocked"])
def test_other_updates_are_acknowledged_and_dropped(local, queued, update) -> None:
    assert call(local, update) == (200, {"ok": True, "ignored": True})
    assert queued == []


def test_messages_and_presses_in_a_group_are_dropped_so_no_member_speaks_for_an_account(local, queued) -> None:
    group = {"id": -1001234567890, "title": "Desk", "type": "supergroup"}
    said = message_update(9101, "buy 10 AAPL")
    said["message"]["chat"] = group
    pressed = callback_update(9102, "yes 4821", "BUY 10 AAPL ...")
    pressed["callback_query"]["message"]["chat"] = group
    assert call(local, said) == (200, {"ok": True, "ignored": True})
    assert call(local, pressed) == (200, {"ok": True, "ignored": True})
    assert queued == []


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'{"message": {"text": "hi"}}', b'{"update_id": "7"}',
                                 b'{"update_id": 7, "message": {"text": "no chat"}}', b'{"update_id": 7, "\xff"}'],
                         ids=["not json", "a list", "no update_id", "update_id text", "no chat", "not utf-8"])
def test_a_body_that_is_not_an_update_is_refused(local, queued, raw) -> None:
    status, body = call(local, raw)
    assert status == 400 and body["error"]["code"] == "malformed_body"
    assert queued == []


def test_a_queue_that_is_down_answers_503_so_telegram_retries(local) -> None:
    def down(inbound: Inbound) -> None:
        from core.errors import StoreError

        raise StoreError("queue down")

    local.platform.inbox.deliver = down
    assert call(local, message_update(708, "hi"))[0] == 503
    local.platform.inbox.deliver = lambda inbound: None
    assert call(local, message_update(708, "hi")) == (200, {"ok": True, "duplicate": False})  # the retry is taken


def test_the_secret_is_read_from_the_telegram_secret_in_aws(monkeypatch, queued, local) -> None:
    settings = Settings.model_validate(local.platform.settings.model_dump() | {
        "telegram_webhook_secret": None, "telegram_secret_arn": "arn:aws:secretsmanager:eu-west-1:1:secret:tg"})
    monkeypatch.setattr(local.platform, "settings", settings)
    secrets = {"telegram": {"webhook_secret": "from-secrets-manager"}}
    monkeypatch.setattr("infra.channels.provider_secret", lambda s, provider: secrets.get(provider, {}))
    assert call(local, message_update(709, "hi"), secret=TELEGRAM_SECRET)[0] == 401
    assert call(local, message_update(709, "hi"), secret="from-secrets-manager")[0] == 200


def test_the_lambda_handler_answers_through_the_same_code_and_counts(monkeypatch, capsys, local, queued) -> None:
    monkeypatch.setattr(webhook.metrics.provider, "namespace", "ParleyTest")
    monkeypatch.setattr(http, "_platform", local.platform)
    response = webhook.handler(event(message_update(710, "positions"), TELEGRAM_SECRET), LambdaContext())
    assert (response["statusCode"], json.loads(response["body"])) == (200, {"ok": True, "duplicate": False})
    forged = webhook.handler(event(message_update(711, "positions"), "forged"), LambdaContext())
    assert forged["statusCode"] == 401
    assert [m.id for m in queued] == ["telegram:710"]
    out = capsys.readouterr().out
    emitted = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    assert [(m.get("TelegramUpdatesAccepted"), m.get("TelegramUpdatesRefused")) for m in emitted] == [
        ([1.0], None), (None, [1.0])]
    assert "positions" not in out  # the message body is never logged
