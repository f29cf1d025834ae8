"""The local feed replayer: reading envelopes, the ping-pong order, priming, re-stamping and resilience."""

from __future__ import annotations

import itertools
import json
import re
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import QuoteUnavailable
from core.market import Quote
from local.feed import SHIPPED_FEED, FeedReplayer, load_quotes, ping_pong

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
FAST = 1e9  # file gaps of tens of milliseconds shrink to nanoseconds


def envelope(kind: str, number: int, data: dict, second: int = 0) -> str:
    return json.dumps(
        {
            "type": kind,
            "id": f"rec-{number}",
            "source": "test",
            "time": f"2025-01-06T14:30:{second:02d}.000Z",
            "data": data,
            "v": 1,
        }
    )


def quote_data(symbol: str, bid: str, ask: str) -> dict:
    return {"symbol": symbol, "bid": bid, "ask": ask}


@pytest.fixture
def small_feed(tmp_path) -> Path:
    lines = [
        envelope("market.quote", 1, quote_data("AAPL", "100.00", "100.02"), 0),
        envelope("order.update", 2, {"order_id": "X"}, 1),
        "",
        envelope("market.quote", 3, quote_data("MSFT", "400.00", "400.05"), 2),
        envelope("market.depth", 4, {"symbol": "AAPL"}, 3),
        envelope("market.quote", 5, quote_data("AAPL", "100.01", "100.03"), 4),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Recorder:
    """An on_quote callback that remembers what it was given and can be told to fail."""

    def __init__(self, fail_on: set[int] | None = None, error: type[Exception] = RuntimeError) -> None:
        self.calls = 0
        self.quotes: list[Quote] = []
        self.fail_on = fail_on or set()
        self.error = error
        self.lock = threading.Lock()

    def __call__(self, quote: Quote) -> None:
        with self.lock:
            self.calls += 1
            if self.calls in self.fail_on:
                raise self.error("booking failed")
            self.quotes.append(quote)


# -- load_quotes ----------------------------------------------------------------------------------


def test_the_shipped_feed_loads_as_quotes_of_every_catalog_symbol():
    quotes = load_quotes(SHIPPED_FEED)
    assert len(quotes) == len(SHIPPED_FEED.read_text(encoding="utf-8").splitlines())
    first_time, first = quotes[0]
    assert first_time.utcoffset().total_seconds() == 0
    assert {"symbol", "bid", "ask"} <= set(first)
    assert {data["symbol"] for _, data in quotes} >= {"AAPL", "CL", "BTC-USD"}


def test_only_market_quote_records_are_kept_and_blank_lines_are_skipped(small_feed):
    quotes = load_quotes(small_feed)
    assert [data["symbol"] for _, data in quotes] == ["AAPL", "MSFT", "AAPL"]
    assert [t.second for t, _ in quotes] == [0, 2, 4]
    assert quotes[2][1]["bid"] == "100.01"


def test_a_malformed_line_raises_value_error_naming_the_file_and_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text(
        envelope("market.quote", 1, quote_data("AAPL", "100.00", "100.02")) + "\n{not json\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=re.escape(f"{path}:2: not a stream envelope")):
        load_quotes(path)


def test_a_line_that_is_json_but_not_an_envelope_is_malformed_too(tmp_path):
    path = tmp_path / "odd.jsonl"
    path.write_text('{"symbol": "AAPL"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{path}:1:")):
        load_quotes(path)


def test_a_file_without_quotes_is_refused(tmp_path):
    path = tmp_path / "no-quotes.jsonl"
    path.write_text(envelope("order.update", 1, {"order_id": "X"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"holds no market\.quote records"):
        load_quotes(path)


# -- ping_pong ------------------------------------------------------------------------------------


def test_ping_pong_runs_forward_then_back_without_repeating_the_ends():
    steps = list(itertools.islice(ping_pong(["a", "b", "c"]), 8))
    assert steps == [(0, "a"), (1, "b"), (2, "c"), (1, "b"), (0, "a"), (1, "b"), (2, "c"), (1, "b")]


def test_ping_pong_over_one_item_repeats_it():
    assert list(itertools.islice(ping_pong(["only"]), 3)) == [(0, "only")] * 3


def test_ping_pong_over_two_items_alternates():
    assert [i for i, _ in itertools.islice(ping_pong([1, 2]), 5)] == [0, 1, 0, 1, 0]


# -- FeedReplayer ---------------------------------------------------------------------------------


def test_prime_publishes_the_first_quote_of_every_symbol_once_stamped_now():
    recorder = Recorder()
    replayer = FeedReplayer(SHIPPED_FEED, recorder, clock=lambda: NOW)
    replayer.prime()
    symbols = [q.symbol for q in recorder.quotes]
    assert len(symbols) == len(set(symbols))
    assert set(symbols) == {data["symbol"] for _, data in replayer.quotes}
    first_aapl = next(data for _, data in replayer.quotes if data["symbol"] == "AAPL")
    aapl = next(q for q in recorder.quotes if q.symbol == "AAPL")
    assert aapl.bid == Decimal(first_aapl["bid"])
    assert all(q.time == NOW and q.source == "replay" for q in recorder.quotes)
    assert replayer.published == len(symbols)


def test_run_publishes_exactly_max_quotes_in_ping_pong_order_restamped_with_the_clock(small_feed):
    recorder = Recorder()
    replayer = FeedReplayer(small_feed, recorder, speed=FAST, clock=lambda: NOW)
    replayer.run(max_quotes=5)
    assert [q.symbol for q in recorder.quotes] == ["AAPL", "MSFT", "AAPL", "MSFT", "AAPL"]
    assert [str(q.bid) for q in recorder.quotes] == ["100.00", "400.00", "100.01", "400.00", "100.00"]
    assert all(q.time == NOW for q in recorder.quotes)
    assert all(q.source == "replay" for q in recorder.quotes)
    assert replayer.published == 5


def test_run_over_the_shipped_feed_publishes_n_quotes_with_the_injected_time():
    ticks = itertools.count()
    recorder = Recorder()
    replayer = FeedReplayer(
        SHIPPED_FEED, recorder, speed=FAST, clock=lambda: NOW.replace(microsecond=next(ticks))
    )
    replayer.run(max_quotes=100)
    assert replayer.published == 100
    assert [q.time.microsecond for q in recorder.quotes] == list(range(100))
    assert [q.symbol for q in recorder.quotes] == [data["symbol"] for _, data in replayer.quotes[:100]]


@pytest.mark.parametrize("error", [RuntimeError, ValueError, QuoteUnavailable, KeyError])
def test_a_failing_callback_does_not_stop_the_replay(small_feed, error):
    recorder = Recorder(fail_on={2, 3}, error=error)
    replayer = FeedReplayer(small_feed, recorder, speed=FAST, clock=lambda: NOW)
    replayer.run(max_quotes=6)
    assert recorder.calls == 6
    assert len(recorder.quotes) == 4
    assert replayer.published == 4


def test_a_started_replay_primes_runs_in_the_background_and_stops_promptly_on_request(small_feed):
    recorder = Recorder()
    replayer = FeedReplayer(small_feed, recorder, speed=1.0, clock=lambda: NOW)
    replayer.start()
    try:
        assert [q.symbol for q in recorder.quotes[:2]] == ["AAPL", "MSFT"]
        assert any(t.name == "feed-replay" and t.is_alive() for t in threading.enumerate())
    finally:
        replayer.stop()
    # the two-second gap in the file is interrupted, not slept out: nothing after it was published
    assert replayer.published <= 3
    assert not any(t.name == "feed-replay" and t.is_alive() for t in threading.enumerate())
    assert replayer.published >= 2
