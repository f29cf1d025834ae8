"""Score the grammar against labelled utterances, per intent.

Each line of the file is ``{"text", "expected", "grammar"}``. ``expected`` holds "intent" and the fields
that matter; a parse is correct when every one of them equals the parse's intent_json value. Lines marked
``grammar: true`` are forms the grammar claims (it must get all of them); the rest are free text for the LLM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from agent.grammar import intent_json, parse


def load_utterances(path: str | Path) -> list[dict[str, Any]]:
    """The labelled lines of a JSONL file, blank lines skipped."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def is_correct(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    return all(key in got and got[key] == value for key, value in expected.items())


def score_grammar(utterances: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Per expected intent: total/correct over all lines and over grammar lines; the grammar lines missed."""
    return score(utterances, lambda text: intent_json(parse(text)), misses_on_all_lines=False)


def score(
    utterances: Iterable[dict[str, Any]], read: Callable[[str], dict[str, Any]], *, misses_on_all_lines: bool
) -> dict[str, Any]:
    """Score any reader of text into intent_json (the grammar, or an LLM). Misses list the grammar lines
    missed, or with ``misses_on_all_lines`` every line missed (what an LLM is judged on)."""
    intents: dict[str, dict[str, int]] = {}
    misses: list[dict[str, Any]] = []
    for item in utterances:
        expected, claimed = item["expected"], bool(item.get("grammar", False))
        got = read(item["text"])
        ok = is_correct(expected, got)
        row = intents.setdefault(
            expected["intent"], {"total": 0, "correct": 0, "grammar_total": 0, "grammar_correct": 0}
        )
        row["total"] += 1
        row["correct"] += int(ok)
        if claimed:
            row["grammar_total"] += 1
            row["grammar_correct"] += int(ok)
        if not ok and (claimed or misses_on_all_lines):
            misses.append({"text": item["text"], "expected": expected, "got": got})
    totals = {key: sum(row[key] for row in intents.values()) for key in next(iter(intents.values()), {})}
    return {"intents": dict(sorted(intents.items())), "totals": totals, "misses": misses}


def format_table(scores: dict[str, Any]) -> str:
    """A plain-text table: one row per intent, grammar lines, free-text lines and all lines."""

    def cell(correct: int, total: int) -> str:
        return f"{correct}/{total}" if total else "-"

    header = f"{'intent':<16} {'grammar':>9} {'free text':>10} {'all':>9}"
    lines = [header, "-" * len(header)]
    rows = [*scores["intents"].items(), ("total", scores["totals"])]
    for name, row in rows:
        if not row:
            continue
        free_correct = row["correct"] - row["grammar_correct"]
        free_total = row["total"] - row["grammar_total"]
        lines.append(
            f"{name:<16} {cell(row['grammar_correct'], row['grammar_total']):>9} "
            f"{cell(free_correct, free_total):>10} {cell(row['correct'], row['total']):>9}"
        )
    lines.extend(f"miss: {m['text']!r} expected {m['expected']} got {m['got']}" for m in scores["misses"])
    return "\n".join(lines)
