"""The command grammar's speed: every labelled utterance parsed, per parse (goal: well under 1 ms)."""

from __future__ import annotations

from pathlib import Path

from agent.evaluation import load_utterances
from agent.grammar import parse

UTTERANCES = Path(__file__).resolve().parents[1] / "agent" / "utterances.jsonl"
GOAL_SECONDS = 0.001


def test_grammar_parse_time_per_utterance(benchmark, say) -> None:
    texts = [item["text"] for item in load_utterances(UTTERANCES)]

    def parse_all() -> None:
        for text in texts:
            parse(text)

    benchmark(parse_all)
    per_parse = benchmark.stats.stats.median / len(texts)
    verdict = "within" if per_parse < GOAL_SECONDS else "OVER"
    say(f"grammar: {per_parse * 1e6:.1f} us per parse over {len(texts)} utterances ({verdict} the 1 ms goal)")
