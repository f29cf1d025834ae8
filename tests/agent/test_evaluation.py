"""`parley eval` scoring: the grammar, and an LLM reader scored on the same lines (scripted model)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agent.classify import intent_reader
from agent.evaluation import load_utterances, score, score_grammar
from tests.agent.fakes import ScriptedChatModel, tool_call

ROOT = Path(__file__).resolve().parents[2]
LINES = [
    {"text": "buy 10 AAPL", "expected": {"intent": "place_order", "symbol": "AAPL", "quantity": "10"}, "grammar": True},
    {"text": "grab me ten apple", "expected": {"intent": "place_order", "symbol": "AAPL", "quantity": "10"},
     "grammar": False},
    {"text": "how am I doing", "expected": {"intent": "portfolio"}, "grammar": False},
]


def test_an_llm_reader_is_scored_per_intent_with_every_miss_listed() -> None:
    model = ScriptedChatModel(responses=[
        tool_call("Reading", request={"intent": "place_order", "side": "buy", "symbol": "AAPL", "quantity": "10"}),
        tool_call("Reading", request={"intent": "place_order", "side": "buy", "symbol": "AAPL", "quantity": "10"}),
        tool_call("Reading", request={"intent": "positions"}),
    ])
    scores = score(LINES, intent_reader(model), misses_on_all_lines=True)
    assert scores["intents"]["place_order"]["correct"] == 2
    assert scores["intents"]["portfolio"]["correct"] == 0
    assert [m["text"] for m in scores["misses"]] == ["how am I doing"]


def test_a_model_failure_reads_as_an_error_and_scores_as_a_miss() -> None:
    model = ScriptedChatModel(responses=["not a tool call at all"])
    got = intent_reader(model)("buy 10 AAPL")
    assert got["intent"] == "error"


def test_the_grammar_scores_every_line_it_claims_in_the_shipped_eval_file() -> None:
    utterances = load_utterances(ROOT / "tests/agent/utterances.jsonl")
    scores = score_grammar(utterances)
    assert len(utterances) >= 200
    assert scores["misses"] == []
    assert scores["totals"]["grammar_correct"] == scores["totals"]["grammar_total"]
    intents = set(scores["intents"])
    assert {"place_order", "close_position", "cancel_order", "cancel_all", "list_orders", "positions", "portfolio",
            "quote", "set_alert", "list_alerts", "delete_alert", "risk_status", "confirm", "reject", "link", "help",
            "kill_switch", "unknown"} <= intents


def test_parley_eval_prints_the_table_and_says_the_llm_is_not_scored_without_a_key() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "local.cli", "eval"], capture_output=True, text=True,
                            cwd=ROOT, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert "total" in result.stdout and "LLM: not scored" in result.stdout
