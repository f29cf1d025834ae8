"""Write the demo market feed: a synthetic, seeded random walk of quotes for every catalog instrument.

Not market data. The walk is built from integer draws and Decimal arithmetic only, so the same seed gives
the same bytes on every platform. Run ``python -m local.feeds.generate`` to rewrite ``demo-quotes.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from core.instruments import Instrument, InstrumentCatalog

SEED = 20250106
STEPS = 300
START = datetime(2025, 1, 6, 14, 30, tzinfo=UTC)  # a Monday, 09:30 New York
DEFAULT_OUTPUT = Path(__file__).with_name("demo-quotes.jsonl")

# Each step's relative move is max_move * u / 400 with u the sum of four draws in [-100, 100]: roughly
# normal, never beyond max_move (a few tenths of a percent at most).
_DRAWS, _DRAW_RANGE = 4, 100


@dataclass(frozen=True)
class Profile:
    start: Decimal  # opening mid price
    max_move: Decimal  # largest relative move in one step
    max_spread_ticks: int  # spreads are drawn from 1..max_spread_ticks ticks
    max_size_lots: int  # sizes are drawn from 1..max_size_lots lots
    size_unit: int = 1  # sizes are multiples of this many lots (round lots of 100 shares)


_EQUITY = {"max_spread_ticks": 2, "max_size_lots": 30, "size_unit": 100}
PROFILES: dict[str, Profile] = {
    "AAPL": Profile(Decimal("230"), Decimal("0.0015"), **_EQUITY),
    "MSFT": Profile(Decimal("420"), Decimal("0.0015"), **_EQUITY),
    "AMZN": Profile(Decimal("220"), Decimal("0.0018"), **_EQUITY),
    "GOOGL": Profile(Decimal("190"), Decimal("0.0018"), **_EQUITY),
    "META": Profile(Decimal("600"), Decimal("0.0020"), **_EQUITY),
    "NVDA": Profile(Decimal("140"), Decimal("0.0025"), **_EQUITY),
    "TSLA": Profile(Decimal("250"), Decimal("0.0030"), **_EQUITY),
    "JPM": Profile(Decimal("240"), Decimal("0.0012"), **_EQUITY),
    "XOM": Profile(Decimal("108"), Decimal("0.0012"), **_EQUITY),
    "SPY": Profile(Decimal("590"), Decimal("0.0010"), max_spread_ticks=1, max_size_lots=50, size_unit=100),
    "QQQ": Profile(Decimal("510"), Decimal("0.0012"), max_spread_ticks=1, max_size_lots=50, size_unit=100),
    "CL": Profile(Decimal("70"), Decimal("0.0020"), max_spread_ticks=2, max_size_lots=40),
    "BZ": Profile(Decimal("74"), Decimal("0.0020"), max_spread_ticks=2, max_size_lots=30),
    "NG": Profile(Decimal("3.2"), Decimal("0.0030"), max_spread_ticks=3, max_size_lots=25),
    "RB": Profile(Decimal("2.05"), Decimal("0.0025"), max_spread_ticks=4, max_size_lots=15),
    "HO": Profile(Decimal("2.25"), Decimal("0.0025"), max_spread_ticks=4, max_size_lots=15),
    "BTC-USD": Profile(Decimal("95000"), Decimal("0.0020"), max_spread_ticks=10, max_size_lots=300_000),
    "ETH-USD": Profile(Decimal("3400"), Decimal("0.0025"), max_spread_ticks=10, max_size_lots=300_000),
}


def _walk(instrument: Instrument, profile: Profile, rng: random.Random, steps: int) -> Iterator[dict]:
    tick, lot = instrument.tick_size, instrument.lot_size
    mid = profile.start
    for _ in range(steps):
        draw = sum(rng.randint(-_DRAW_RANGE, _DRAW_RANGE) for _ in range(_DRAWS))
        mid *= 1 + profile.max_move * draw / (_DRAWS * _DRAW_RANGE)
        spread = rng.randint(1, profile.max_spread_ticks)
        bid = max(instrument.round_to_tick(mid - spread * tick / 2), tick)
        ask = bid + spread * tick
        last = bid + rng.randint(0, spread) * tick
        bid_size, ask_size = (rng.randint(1, profile.max_size_lots) * profile.size_unit * lot for _ in range(2))
        yield {
            "symbol": instrument.symbol,
            "bid": format(bid, "f"),
            "ask": format(ask, "f"),
            "last": format(last, "f"),
            "bid_size": format(bid_size, "f"),
            "ask_size": format(ask_size, "f"),
        }


def generate(catalog: InstrumentCatalog | None = None, *, seed: int = SEED, steps: int = STEPS) -> Iterator[dict]:
    """Yield market.quote envelopes: one per instrument per second, interleaved in time order."""
    instruments = list(catalog or InstrumentCatalog.default())
    missing = [i.symbol for i in instruments if i.symbol not in PROFILES]
    if missing:
        raise KeyError(f"no demo feed profile for {', '.join(missing)}; add one to PROFILES")
    # One generator per symbol, seeded by name, so adding an instrument leaves the others' paths alone.
    walks = [_walk(i, PROFILES[i.symbol], random.Random(f"{seed}:{i.symbol}"), steps) for i in instruments]
    # Instruments quote in turn within each second, so times increase across the whole file too.
    offset_ms = 1000 // len(instruments)
    for step in range(steps):
        for index, walk in enumerate(walks):
            data = next(walk)
            time = START + timedelta(seconds=step, milliseconds=index * offset_ms)
            yield {
                "type": "market.quote",
                "id": f"demo-{data['symbol']}-{step:04d}",
                "source": "replay",
                "time": time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "data": data,
                "v": 1,
            }


def write(path: Path = DEFAULT_OUTPUT, *, seed: int = SEED, steps: int = STEPS) -> int:
    """Write the feed as JSON lines to ``path``; return the number of records."""
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in generate(seed=seed, steps=steps):
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSONL feed")
    args = parser.parse_args(argv)
    count = write(args.output)
    print(f"wrote {count} quotes to {args.output}")


if __name__ == "__main__":
    main()
