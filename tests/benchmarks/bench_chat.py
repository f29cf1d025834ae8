"""The conversation: grammar throughput, and /v1/chat latency through the Lambda handler (grammar path)."""

from __future__ import annotations

import json
from pathlib import Path

from agent.evaluation import load_utterances
from agent.grammar import parse
from tests.benchmarks.bench_api import sqlite_api  # noqa: F401  (fixture)
from tests.functional.conftest import Api, LambdaContext, http_event

UTTERANCES = Path(__file__).resolve().parents[1] / "agent" / "utterances.jsonl"


def test_grammar_utterances_per_second_over_the_eval_file(benchmark, say) -> None:
    texts = [u["text"] for u in load_utterances(UTTERANCES)]

    def parse_all() -> int:
        return sum(1 for text in texts if parse(text) is not None)

    assert benchmark(parse_all) == len(texts)
    rate = len(texts) / benchmark.stats.stats.median
    say(f"grammar: {rate:,.0f} utterances/s over {len(texts)} eval utterances")


def _chat(api: Api, token: str, text: str) -> dict:
    event = http_event("POST", "/v1/chat", body={"text": text}, token=token)
    response = api.module.handler(event, LambdaContext())
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])


def test_chat_latency_on_the_grammar_path(benchmark, sqlite_api, say) -> None:  # noqa: F811
    token = sqlite_api.token("alice")
    benchmark.pedantic(_chat, args=(sqlite_api, token, "positions"), rounds=200, warmup_rounds=5, iterations=1)
    say(f"/v1/chat 'positions' via handler (SQLite): median {benchmark.stats.stats.median * 1e3:.2f} ms")


def test_chat_latency_of_a_confirmed_order_end_to_end(benchmark, sqlite_api, say) -> None:  # noqa: F811
    token = sqlite_api.token("alice")

    def stage_and_confirm() -> str:
        staged = _chat(sqlite_api, token, "buy 1 AAPL")
        command = staged["replies"][0]["actions"][0]["command"]
        return _chat(sqlite_api, token, command)["replies"][0]["text"]

    text = benchmark.pedantic(stage_and_confirm, rounds=100, warmup_rounds=3, iterations=1)
    assert text.startswith("Done:"), text
    say(f"/v1/chat order staged + confirmed (two requests, SQLite): median {benchmark.stats.stats.median * 1e3:.2f} ms")
