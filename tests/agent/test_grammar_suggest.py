"""Did you mean: the closest commands to text the grammar could not read (shown with no LLM configured)."""

from __future__ import annotations

import pytest

from agent.grammar import parse, suggest


@pytest.mark.parametrize(
    ("text", "meant"),
    [("byu 10 AAPL", "buy 10 AAPL"), ("by 10 appl", "buy 10 AAPL"), ("sel 5 CL", "sell 5 CL"),
     ("slel 2 CL", "sell 2 CL"), ("qoute AAPL", "quote AAPL"), ("closs NG", "close NG"), ("postions", "positions"),
     ("ordrs", "orders"), ("cancle all", "cancel all"), ("hlep", "help"), ("alrets", "alerts")],
)  # fmt: skip
def test_a_misspelt_command_suggests_the_command_it_was_meant_to_be(text: str, meant: str) -> None:
    assert parse(text).intent == "unknown"
    assert suggest(text) == [meant]


def test_a_suggested_command_is_one_the_grammar_reads() -> None:
    for text in ("byu 10 AAPL", "qoute AAPL", "closs NG"):
        assert parse(suggest(text)[0]).intent not in ("unknown", "clarify")


def test_a_known_command_word_with_words_it_cannot_read_suggests_that_commands_forms() -> None:
    assert suggest("buy 10 AAPL if it dips") == ["buy 10 AAPL", "buy 10 AAPL @ 190 gtc", "buy $1000 of AAPL"]
    assert suggest("cxl the thing") == ["cancel 7F3K2", "cancel all"]


@pytest.mark.parametrize("text", ["hello", "tell me something interesting", "1", "💰💰💰", "", "   ", "what is love"])
def test_nothing_close_suggests_nothing(text: str) -> None:
    assert suggest(text) == []


def test_at_most_the_limit_is_suggested() -> None:
    assert len(suggest("buy 10 AAPL if it dips", limit=2)) == 2
