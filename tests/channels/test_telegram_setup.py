"""`parley telegram setup` against recorded Bot API answers: getMe, setWebhook (the public URL, the secret token,
messages and button presses, pending updates kept) and setMyCommands, exactly; and a clear error, with no call
made, when the token, the secret or the public URL is missing or unusable."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
import respx

from agent.grammar import intent_json, parse, suggest
from agent.replies import HELP
from infra.settings import get_settings
from local.cli import main
from local.telegram import MENU
from tests.channels.harness import PUBLIC_BASE_URL, TELEGRAM_SECRET
from tests.channels.telegram_updates import API, TOKEN, bad_request, form, me, true, unauthorized

WEBHOOK = f"{PUBLIC_BASE_URL}/webhooks/telegram"


@pytest.fixture
def env(monkeypatch, tmp_path) -> Iterator[None]:
    for name in ("PARLEY_TELEGRAM_SECRET_ARN", "PARLEY_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARLEY_HOME", str(tmp_path))
    monkeypatch.setenv("PARLEY_TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PARLEY_TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)
    monkeypatch.setenv("PARLEY_PUBLIC_BASE_URL", PUBLIC_BASE_URL + "/")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:  # any other request fails the test
        yield router


def test_setup_sets_the_webhook_with_its_secret_and_the_command_menu(env, api, capsys) -> None:
    get_me = api.post("/getMe").mock(return_value=me())
    set_webhook = api.post("/setWebhook").mock(return_value=true())
    set_commands = api.post("/setMyCommands").mock(return_value=true())

    assert main(["telegram", "setup"]) == 0

    assert [call.request.url.path.rsplit("/", 1)[1] for call in api.calls] == ["getMe", "setWebhook", "setMyCommands"]
    assert get_me.call_count == 1 and str(get_me.calls[0].request.url) == f"{API}/getMe"
    params = form(set_webhook.calls[0].request)
    assert json.loads(params.pop("allowed_updates")) == ["message", "callback_query"]
    assert params == {"url": WEBHOOK, "secret_token": TELEGRAM_SECRET, "drop_pending_updates": "false"}
    commands = json.loads(form(set_commands.calls[0].request)["commands"])
    assert [c["command"] for c in commands] == ["buy", "sell", "positions", "orders", "fills", "pnl", "quote",
                                                "alerts", "risk", "cancel", "close", "help"]
    assert commands[0] == {"command": "buy", "description": "Buy: /buy 10 AAPL, /buy 10 AAPL @ 190, /buy $1000 of AAPL"}
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"bot @ParleyTestBot: setWebhook {WEBHOOK} (secret token set; updates: message, callback_query; "
        "pending updates kept)",
        "bot @ParleyTestBot: setMyCommands /buy /sell /positions /orders /fills /pnl /quote /alerts /risk /cancel "
        "/close /help",
        "next: send `link <code>` to @ParleyTestBot with a code from POST /v1/links",
    ]
    assert TELEGRAM_SECRET not in "\n".join(out) and TOKEN not in "\n".join(out)


def test_every_menu_command_is_one_the_grammar_reads_as_a_tap_sends_it() -> None:
    for name, description in MENU:
        assert name == "help" or f"  {name}" in HELP or f"| {name}" in HELP, name  # documented in HELP
        # a tap sends "/name" alone: the grammar reads it, asks what is missing, or suggests (quote AAPL)
        assert intent_json(parse(f"/{name}"))["intent"] != "unknown" or suggest(f"/{name}"), name
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name) and 1 <= len(description) <= 256  # setMyCommands' rules
    assert intent_json(parse("/help"))["intent"] == "help"


@pytest.mark.parametrize(("unset", "named"), [
    ("PARLEY_TELEGRAM_BOT_TOKEN", "Set PARLEY_TELEGRAM_BOT_TOKEN"),
    ("PARLEY_TELEGRAM_WEBHOOK_SECRET", "Set PARLEY_TELEGRAM_WEBHOOK_SECRET"),
    ("PARLEY_PUBLIC_BASE_URL", "Set PARLEY_PUBLIC_BASE_URL"),
])
def test_a_missing_setting_is_named_and_nothing_is_called(env, api, monkeypatch, capsys, unset, named) -> None:
    monkeypatch.delenv(unset)
    get_settings.cache_clear()
    assert main(["telegram", "setup"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"parley: {named}") and api.calls.call_count == 0


@pytest.mark.parametrize(("name", "value", "says"), [
    ("PARLEY_PUBLIC_BASE_URL", "http://localhost:8000", "must be an https:// URL"),
    ("PARLEY_TELEGRAM_WEBHOOK_SECRET", "has spaces and !", "may hold only A-Z, a-z, 0-9, _ and -"),
])
def test_a_value_telegram_would_refuse_is_caught_first(env, api, monkeypatch, capsys, name, value, says) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    assert main(["telegram", "setup"]) == 2
    assert says in capsys.readouterr().err and api.calls.call_count == 0


def test_a_rejected_token_is_said_so_without_printing_it(env, api, capsys) -> None:
    api.post("/getMe").mock(return_value=unauthorized())
    assert main(["telegram", "setup"]) == 2
    error = capsys.readouterr().err
    assert error == "parley: Telegram rejected the bot token (PARLEY_TELEGRAM_BOT_TOKEN).\n"
    assert [call.request.url.path.rsplit("/", 1)[1] for call in api.calls] == ["getMe"]


def test_telegrams_refusal_of_the_webhook_is_shown(env, api, capsys) -> None:
    api.post("/getMe").mock(return_value=me())
    api.post("/setWebhook").mock(return_value=bad_request("bad webhook: Failed to resolve host: Name or service "
                                                          "not known"))
    assert main(["telegram", "setup"]) == 2
    assert capsys.readouterr().err == (  # python-telegram-bot's wording of Telegram's description
        "parley: Telegram refused the setup: Bad webhook: failed to resolve host: name or service not known\n")
    assert [call.request.url.path.rsplit("/", 1)[1] for call in api.calls] == ["getMe", "setWebhook"]


def test_telegram_down_is_reported(env, api, capsys) -> None:
    api.post("/getMe").mock(side_effect=httpx.ConnectError("connection refused"))
    assert main(["telegram", "setup"]) == 2
    assert capsys.readouterr().err.startswith("parley: Telegram refused the setup:")
