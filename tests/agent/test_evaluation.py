"""`parley eval`: coverage over every line, wrong orders, precision and recall per intent; the grammar on the
shipped file, and an LLM reader scored the same way (scripted model)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest

from agent.classify import intent_reader
from agent.evaluation import ORDER_INTENTS, evaluate, evaluate_grammar, format_report, is_correct, load_utterances
from agent.intents import INTENTS, Intent
from tests.agent.fakes import ScriptedChatModel, tool_call

ROOT = Path(__file__).resolve().parents[2]
UTTERANCES = load_utterances(ROOT / "tests/agent/utterances.jsonl")
BUY_10 = {"intent": "place_order", "side": "buy", "symbol": "AAPL", "quantity": "10"}
LINES = [
    {"text": "buy 10 AAPL", "expected": BUY_10, "grammar": True},
    {"text": "grab me ten apple", "expected": BUY_10, "grammar": False},
    {"text": "how am I doing", "expected": {"intent": "portfolio"}, "grammar": False},
    {"text": "don't buy 10 AAPL", "expected": {"intent": "clarify"}, "grammar": True},
]


def reader(answers: dict[str, dict[str, Any]]):
    return lambda text: answers[text]


def test_coverage_counts_every_line_whether_or_not_the_grammar_promised_it() -> None:
    report = evaluate(LINES, reader({
        "buy 10 AAPL": BUY_10, "grab me ten apple": {"intent": "unknown"}, "how am I doing": {"intent": "portfolio"},
        "don't buy 10 AAPL": {"intent": "clarify", "question": "?"},
    }))  # fmt: skip
    assert (report.correct, report.total) == (3, 4)
    assert [m["text"] for m in report.misses] == ["grab me ten apple"]
    assert report.promised_misses == []
    assert report.wrong_orders == []


def test_an_order_where_none_was_meant_and_an_order_unlike_its_label_are_wrong_orders() -> None:
    report = evaluate(LINES, reader({
        "buy 10 AAPL": {**BUY_10, "quantity": "100"}, "grab me ten apple": BUY_10,
        "how am I doing": {"intent": "positions"}, "don't buy 10 AAPL": BUY_10,
    }))  # fmt: skip
    assert [m["text"] for m in report.wrong_orders] == ["buy 10 AAPL", "don't buy 10 AAPL"]
    assert [m["text"] for m in report.promised_misses] == ["buy 10 AAPL", "don't buy 10 AAPL"]
    assert "how am I doing" not in [m["text"] for m in report.wrong_orders]  # a wrong read, but no order


def test_precision_is_right_over_read_and_recall_is_right_over_labelled() -> None:
    report = evaluate(LINES, reader({
        "buy 10 AAPL": BUY_10, "grab me ten apple": {"intent": "portfolio"}, "how am I doing": {"intent": "portfolio"},
        "don't buy 10 AAPL": BUY_10,
    }))  # fmt: skip
    place, portfolio, clarify = (report.intents[name] for name in ("place_order", "portfolio", "clarify"))
    assert (place.labelled, place.read, place.correct) == (2, 2, 1)
    assert (place.precision, place.recall) == (0.5, 0.5)
    assert (portfolio.precision, portfolio.recall) == (0.5, 1.0)
    assert (clarify.precision, clarify.recall) == (None, 0.0)


def test_the_report_prints_coverage_wrong_orders_and_a_row_per_intent() -> None:
    report = evaluate(LINES, reader({
        "buy 10 AAPL": BUY_10, "grab me ten apple": {"intent": "unknown"}, "how am I doing": {"intent": "portfolio"},
        "don't buy 10 AAPL": BUY_10,
    }))  # fmt: skip
    text = format_report(report)
    assert "coverage: 2/4 lines (50.0%)" in text
    assert "wrong orders: 1" in text
    assert "WRONG ORDER: \"don't buy 10 AAPL\"" in text
    assert "miss: 'grab me ten apple'" in text
    row = next(line for line in text.splitlines() if line.startswith("place_order"))
    assert row.split() == ["place_order", "2", "2", "1", "50%", "50%"]


def test_a_field_missing_from_the_reading_is_not_correct() -> None:
    assert not is_correct({"intent": "quote", "symbol": "AAPL", "extra": None}, {"intent": "quote", "symbol": "AAPL"})


def test_an_llm_reader_is_scored_on_the_same_lines_and_the_same_figures() -> None:
    model = ScriptedChatModel(responses=[
        tool_call("Reading", request={"intent": "place_order", "side": "buy", "symbol": "AAPL", "quantity": "10"}),
        tool_call("Reading", request={"intent": "place_order", "side": "buy", "symbol": "AAPL", "quantity": "10"}),
        tool_call("Reading", request={"intent": "positions"}),
        tool_call("Reading", request={"intent": "place_order", "side": "buy", "symbol": "AAPL", "quantity": "10"}),
    ])  # fmt: skip
    report = evaluate(LINES, intent_reader(model))
    assert report.intents["place_order"].correct == 2
    assert [m["text"] for m in report.wrong_orders] == ["don't buy 10 AAPL"]
    assert [m["text"] for m in report.misses] == ["how am I doing", "don't buy 10 AAPL"]


def test_a_model_failure_reads_as_an_error_and_scores_as_a_miss() -> None:
    model = ScriptedChatModel(responses=["not a tool call at all"])
    assert intent_reader(model)("buy 10 AAPL")["intent"] == "error"


# -- the shipped file --------------------------------------------------------------------------------


def test_the_file_holds_at_least_600_labelled_lines_of_the_expected_shape() -> None:
    assert len(UTTERANCES) >= 600
    assert len({item["text"] for item in UTTERANCES}) == len(UTTERANCES)
    for item in UTTERANCES:
        assert set(item) == {"text", "expected", "grammar"}
        assert isinstance(item["grammar"], bool)


def test_every_intent_is_labelled_on_lines_the_grammar_promises() -> None:
    labelled = {item["expected"]["intent"] for item in UTTERANCES if item["grammar"]}
    every = {model.model_fields["intent"].default for model in get_args(get_args(Intent)[0])}
    assert labelled == every


@pytest.mark.parametrize("item", [i for i in UTTERANCES if i["expected"]["intent"] in ORDER_INTENTS],
                         ids=lambda item: item["text"])
def test_every_order_label_names_every_field_so_a_wrong_order_cannot_pass_as_right(item: dict) -> None:
    expected = item["expected"]
    assert INTENTS.validate_python(expected).model_dump(mode="json") == expected


def test_the_grammar_places_no_wrong_order_and_misses_no_promised_form_on_the_whole_file() -> None:
    report = evaluate_grammar(UTTERANCES)
    assert report.wrong_orders == []
    assert report.promised_misses == []
    assert report.coverage >= 0.9  # 757 of 822 when written; a drop below 90% is a regression to look at


def test_parley_eval_prints_the_report_and_says_the_llm_is_not_scored_without_a_key() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "local.cli", "eval"], capture_output=True, text=True,
                            cwd=ROOT, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert f"/{len(UTTERANCES)} lines" in result.stdout
    assert "wrong orders: 0" in result.stdout
    assert "LLM: not scored" in result.stdout
