"""Score a reader of traders' text (the grammar, or an LLM) against labelled utterances.

Each line of the file is ``{"text", "expected", "grammar"}``. ``expected`` holds "intent" and the fields that
matter; a reading is correct when every one of them equals the reading's intent_json value. Three figures:
coverage over every line; wrong orders (an order intent where the label differs, or where no order was
meant: the goal is none); and per intent, precision (of the lines read as it, how many were right) and recall
(of the lines labelled it, how many were read right). ``grammar: true`` marks forms the grammar promises:
it must read all of them, on top of the coverage figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.grammar import intent_json, parse

Reader = Callable[[str], dict[str, Any]]
# Intents that stage orders: reading one of these wrongly is the mistake that costs money.
ORDER_INTENTS = frozenset({"place_order", "close_position", "close_all", "modify_order"})


def load_utterances(path: str | Path) -> list[dict[str, Any]]:
    """The labelled lines of a JSONL file, blank lines skipped."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def is_correct(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    return all(key in got and got[key] == value for key, value in expected.items())


def is_wrong_order(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    """An order intent that is not exactly what the label says, including an order where none was meant."""
    return got.get("intent") in ORDER_INTENTS and not is_correct(expected, got)


@dataclass
class IntentScore:
    labelled: int = 0  # lines whose label is this intent
    read: int = 0  # lines the reader gave this intent
    correct: int = 0  # lines labelled this intent and read right

    @property
    def precision(self) -> float | None:
        return self.correct / self.read if self.read else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    intents: dict[str, IntentScore] = field(default_factory=dict)
    wrong_orders: list[dict[str, Any]] = field(default_factory=list)
    promised_misses: list[dict[str, Any]] = field(default_factory=list)  # lines marked grammar: true, missed
    misses: list[dict[str, Any]] = field(default_factory=list)  # every line missed

    @property
    def coverage(self) -> float:
        return self.correct / self.total if self.total else 0.0


def evaluate(utterances: Iterable[dict[str, Any]], read: Reader) -> Report:
    """Read every line with ``read`` (text -> intent_json) and score it against its label."""
    report = Report()
    for item in utterances:
        expected = item["expected"]
        got = read(item["text"])
        ok = is_correct(expected, got)
        report.total += 1
        report.correct += ok
        report.intents.setdefault(expected["intent"], IntentScore()).labelled += 1
        report.intents.setdefault(str(got.get("intent")), IntentScore()).read += 1
        report.intents[expected["intent"]].correct += ok
        if ok:
            continue
        miss = {"text": item["text"], "expected": expected, "got": got}
        report.misses.append(miss)
        if is_wrong_order(expected, got):
            report.wrong_orders.append(miss)
        if item.get("grammar", False):
            report.promised_misses.append(miss)
    report.intents = dict(sorted(report.intents.items()))
    return report


def evaluate_grammar(utterances: Iterable[dict[str, Any]]) -> Report:
    return evaluate(utterances, lambda text: intent_json(parse(text)))


def format_report(report: Report, *, list_misses: bool = True) -> str:
    """Coverage and wrong orders, a per-intent precision/recall table, then the lines that went wrong."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    lines = [
        f"coverage: {report.correct}/{report.total} lines ({report.coverage:.1%})",
        f"wrong orders: {len(report.wrong_orders)}",
        f"promised forms missed: {len(report.promised_misses)}",
        "",
    ]
    header = f"{'intent':<16} {'labelled':>8} {'read':>6} {'right':>6} {'precision':>9} {'recall':>7}"
    lines += [header, "-" * len(header)]
    for name, row in report.intents.items():
        lines.append(
            f"{name:<16} {row.labelled:>8} {row.read:>6} {row.correct:>6} {pct(row.precision):>9} "
            f"{pct(row.recall):>7}"
        )
    shown = [("WRONG ORDER", report.wrong_orders), ("promised", report.promised_misses)]
    if list_misses:
        listed = [id(m) for _, misses in shown for m in misses]
        shown.append(("miss", [m for m in report.misses if id(m) not in listed]))
    for label, misses in shown:
        lines.extend(f"{label}: {m['text']!r} expected {m['expected']} got {m['got']}" for m in misses)
    return "\n".join(lines)
