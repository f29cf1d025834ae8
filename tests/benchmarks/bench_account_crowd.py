"""A crowd on one account: 20 clients placing orders together through `parley serve` on SQLite (the demo feed
replaying into the same file). Reports the error count, p50/p99 and requests per second; goal 0 errors, p99
<= 1 s, every accepted order stored once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.e2e.crowd_support import crowd_server, place_together, stored_order_ids
from tests.e2e.platform_support import Server

CLIENTS = 20
ORDERS_EACH = 60


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    yield from crowd_server(tmp_path)


def test_account_crowd_on_sqlite(server, say) -> None:
    crowd = place_together(server, CLIENTS, ORDERS_EACH)
    stored = Counter(stored_order_ids(server))
    lost = len(set(crowd.accepted) - set(stored)) + sum(1 for count in stored.values() if count > 1)
    kinds = Counter((status, body[:80]) for status, _, body in crowd.errors)
    say(f"account crowd ({CLIENTS} clients x {ORDERS_EACH} orders on one account, parley serve on SQLite): "
        f"{len(crowd.errors)} errors of {len(crowd.answers)} (goal 0){f' {dict(kinds)}' if kinds else ''}, "
        f"p50 {crowd.percentile(0.50):.3f} s, p99 {crowd.percentile(0.99):.3f} s (goal <= 1 s), "
        f"max {crowd.percentile(1.0):.3f} s, {len(crowd.answers) / crowd.seconds:.1f} requests/s, "
        f"{len(crowd.accepted)} accepted, {len(stored)} stored, {lost} lost or doubled")
