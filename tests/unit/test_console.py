"""`parley chat`: the console loop over a real Conversation on a temporary SQLite platform."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from core import usecases as uc
from core.market import Quote
from infra.bootstrap import Platform, build_platform
from infra.settings import Settings, get_settings
from local import cli
from local.console import run_console
from tests.support import Clock

ACCOUNT = "demo"
HINT = re.compile(r"^  \[1 Confirm: yes (\d+)\]  \[2 Cancel: no \1\]$")  # as the README shows it


@pytest.fixture(autouse=True)
def no_llm(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # free text gets the grammar's answer, never a model


@pytest.fixture
def platform(tmp_path) -> Iterator[Platform]:
    settings = Settings(store_url=f"sqlite:///{tmp_path / 'p.db'}", feed="off", state_dir=tmp_path)
    clock = Clock()  # a weekday morning in New York: AAPL's market is open
    platform = build_platform(settings, secret="x" * 40, clock=clock)
    uc.ensure_account(platform.deps, ACCOUNT)
    uc.on_quote(platform.deps, Quote(symbol="AAPL", bid=Decimal("229.90"), ask=Decimal("230.10"), time=clock.now))
    yield platform
    platform.store.close()


class Script:
    """Types the given lines at the prompt, then ends the input (EOF); records everything printed."""

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)
        self.prompts: list[str] = []
        self.printed: list[str] = []

    def input(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)

    def print(self, *parts: object) -> None:
        self.printed.append(" ".join(str(p) for p in parts))

    def run(self, platform: Platform, thread: str = "console") -> int:
        return run_console(platform.language, ACCOUNT, thread, input_fn=self.input, print_fn=self.print)

    def said(self) -> list[str]:
        return [line for line in self.printed if line.startswith("parley> ")]


def test_a_staged_buy_is_confirmed_by_typing_the_number_of_its_confirm_button(platform):
    script = Script("quote AAPL", "buy 1 AAPL", "1")
    assert script.run(platform) == 0
    said = script.said()
    assert said[0].startswith("parley> AAPL: bid 229.90 / ask 230.10")
    assert said[1].startswith("parley> BUY 1 AAPL")
    hints = [line for line in script.printed if HINT.match(line)]
    assert len(hints) == 1, script.printed
    code = HINT.match(hints[0]).group(1)
    assert f"  (yes {code})" in script.printed
    assert said[2].startswith("parley> Done: BUY 1 AAPL filled at 230.10"), said
    assert [(p.symbol, p.quantity) for p in uc.positions(platform.deps, ACCOUNT)] == [("AAPL", Decimal(1))]
    assert script.prompts == ["you> "] * 4  # three lines, then the end of input


def test_the_second_button_cancels_the_ticket_and_nothing_is_bought(platform):
    script = Script("buy 1 AAPL", "2")
    assert script.run(platform) == 0
    assert script.said()[-1] == "parley> Cancelled: buy 1 AAPL, not sent."
    assert uc.positions(platform.deps, ACCOUNT) == []


def test_a_number_without_such_a_button_is_explained_and_not_sent(platform):
    script = Script("buy 1 AAPL", "3", "1")
    assert script.run(platform) == 0
    assert "  There is no button 3; choose 1 to 2." in script.printed
    assert len(script.said()) == 2  # the ticket, then the fill: "3" never reached the conversation
    assert script.said()[-1].startswith("parley> Done: BUY 1 AAPL")


def test_a_number_after_a_reply_without_buttons_is_ordinary_text(platform):
    script = Script("positions", "1")
    assert script.run(platform) == 0
    assert script.said()[0] == "parley> You have no open positions."
    assert script.said()[1].startswith("parley> I didn't catch that.")


@pytest.mark.parametrize("word", ["quit", "exit", "QUIT"])
def test_quit_or_exit_ends_the_console_at_once_with_status_0(platform, word):
    script = Script(word, "buy 1 AAPL")
    assert script.run(platform) == 0
    assert script.said() == []
    assert script.lines == ["buy 1 AAPL"]  # nothing after the word was read


def test_the_end_of_input_ends_the_console_cleanly_and_blank_lines_are_skipped(platform):
    script = Script("", "   ")
    assert script.run(platform) == 0
    assert script.said() == []
    assert len(script.prompts) == 3


def test_parley_chat_speaks_as_the_demo_account_in_the_console_thread_by_default(tmp_path, monkeypatch, capsys):
    for name, value in {
        "PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "PARLEY_STATE_DIR": str(tmp_path / ".parley"),
        "PARLEY_FEED": "off",
        "PARLEY_JWT_SECRET": "y" * 40,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin", io.StringIO("positions\nquit\n"))
    get_settings.cache_clear()
    try:
        assert cli.main(["chat"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "account demo, thread console" in out
    assert "parley> You have no open positions." in out


def test_parley_chat_refuses_an_account_that_does_not_exist(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARLEY_STORE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PARLEY_STATE_DIR", str(tmp_path / ".parley"))
    monkeypatch.setattr("sys.stdin", io.StringIO("positions\n"))
    get_settings.cache_clear()
    try:
        assert cli.main(["chat", "--account", "nobody"]) == 2
    finally:
        get_settings.cache_clear()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "parley: Account nobody not found.\n"


def test_the_later_lines_of_a_reply_stand_under_its_first_as_the_readme_shows(platform):
    script = Script("buy 1 AAPL")
    assert script.run(platform) == 0
    first, second = script.said()[0].split("\n")
    assert first.startswith("parley> BUY 1 AAPL")
    assert re.fullmatch(r" {8}Reply yes \d+ to confirm \(until \d\d:\d\d:\d\d UTC\), or no to cancel\.", second)
