"""The shipped demo feed is a valid, complete, replayable stream of quotes, and regenerates byte for byte."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

from core.instruments import InstrumentCatalog
from core.market import Quote
from local.feeds import generate

FEED = Path(generate.__file__).with_name("demo-quotes.jsonl")
ENVELOPE_KEYS = {"type", "id", "source", "time", "data", "v"}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [json.loads(line) for line in FEED.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def quotes(records) -> list[Quote]:
    return [Quote(**r["data"], time=datetime.fromisoformat(r["time"]), source=r["source"]) for r in records]


def test_the_feed_is_small_enough_to_ship_in_the_repository():
    assert FEED.stat().st_size < 2_000_000


def test_every_line_is_a_market_quote_envelope_with_a_unique_id(records):
    assert len(records) > 1000
    for record in records:
        assert set(record) == ENVELOPE_KEYS
        assert record["type"] == "market.quote"
        assert record["source"] == "replay"
        assert record["v"] == 1
        assert record["time"].endswith(("Z", "+00:00"))
    assert len({r["id"] for r in records}) == len(records)


def test_decimals_are_written_as_strings(records):
    for record in records:
        assert all(isinstance(v, str) for v in record["data"].values()), record


def test_every_record_builds_an_uncrossed_quote_with_sizes(quotes):
    for quote in quotes:
        assert quote.time.utcoffset().total_seconds() == 0
        assert quote.bid < quote.ask
        assert quote.bid <= quote.last <= quote.ask
        assert quote.bid_size > 0 and quote.ask_size > 0


def test_every_catalog_symbol_is_quoted_about_three_hundred_times(quotes):
    counts = defaultdict(int)
    for quote in quotes:
        counts[quote.symbol] += 1
    assert set(counts) == {i.symbol for i in InstrumentCatalog.default()}
    assert set(counts.values()) == {generate.STEPS}


def test_times_strictly_increase_per_symbol_and_through_the_file(quotes):
    last_seen: dict[str, datetime] = {}
    for previous, quote in pairwise(quotes):
        assert quote.time > previous.time
    for quote in quotes:
        if quote.symbol in last_seen:
            assert quote.time > last_seen[quote.symbol]
        last_seen[quote.symbol] = quote.time


def test_prices_sit_on_the_tick_and_sizes_on_the_lot(quotes):
    catalog = InstrumentCatalog.default()
    for quote in quotes:
        instrument = catalog.get(quote.symbol)
        for price in (quote.bid, quote.ask, quote.last):
            instrument.check_price(price)
        for size in (quote.bid_size, quote.ask_size):
            instrument.check_quantity(size)


def test_spreads_are_a_few_ticks_and_steps_move_at_most_a_few_tenths_of_a_percent(quotes):
    catalog = InstrumentCatalog.default()
    previous_mid: dict[str, Decimal] = {}
    for quote in quotes:
        tick = catalog.get(quote.symbol).tick_size
        assert 1 <= (quote.ask - quote.bid) / tick <= 10
        if quote.symbol in previous_mid:
            assert abs(quote.mid / previous_mid[quote.symbol] - 1) < Decimal("0.005")
        previous_mid[quote.symbol] = quote.mid


def test_every_symbol_moves_enough_over_the_replay_for_resting_orders_to_trigger(quotes):
    mids: dict[str, list[Decimal]] = defaultdict(list)
    for quote in quotes:
        mids[quote.symbol].append(quote.mid)
    for symbol, path in mids.items():
        assert max(path) / min(path) - 1 > Decimal("0.003"), symbol


def test_regenerating_the_feed_gives_identical_bytes(tmp_path):
    regenerated = tmp_path / "demo-quotes.jsonl"
    generate.write(regenerated)
    assert regenerated.read_bytes() == FEED.read_bytes()


def test_the_generator_refuses_a_symbol_it_has_no_profile_for():
    from core.instruments import Instrument

    odd = Instrument(symbol="ZZZ", asset_class="equity", tick_size=Decimal("0.01"), lot_size=Decimal(1))
    with pytest.raises(KeyError, match="ZZZ"):
        next(generate.generate(InstrumentCatalog([odd])))
