"""Twenty clients placing orders on one account through `parley serve` on SQLite: every order is answered
without a store error, and every accepted order is stored exactly once. (Its p99 is measured by `make bench`.)"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.e2e.crowd_support import crowd_server, place_together, stored_order_ids
from tests.e2e.platform_support import Server

CLIENTS = 20
ORDERS_EACH = 15


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    yield from crowd_server(tmp_path)


def test_twenty_clients_on_one_account_all_get_their_orders_placed_and_each_is_stored_once(server):
    crowd = place_together(server, CLIENTS, ORDERS_EACH)

    assert len(crowd.answers) == CLIENTS * ORDERS_EACH
    assert crowd.errors == [], Counter((status, body[:120]) for status, _, body in crowd.errors)
    stored = Counter(stored_order_ids(server))
    assert sorted(stored) == sorted(crowd.accepted)
    assert set(stored.values()) == {1}
