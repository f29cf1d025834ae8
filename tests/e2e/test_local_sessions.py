"""`parley serve` on the wall clock with the demo calendar: the banner says every market is open, and an AAPL
market order fills whatever the hour (the harness sets PARLEY_CALENDAR=always-open)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.platform_support import SECRET, Server, call, start_server


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    yield from start_server(tmp_path, SECRET)


def test_the_demo_calendar_is_in_the_banner_and_aapl_trades_at_any_hour(server) -> None:
    banner = server.banner()
    assert "  Markets   every market open at any hour: demo calendar (PARLEY_CALENDAR=always-open)" in banner
    token = re.search(r"export PARLEY_TOKEN=(\S+)", banner).group(1)
    order = {"symbol": "AAPL", "side": "buy", "quantity": "1", "order_type": "market"}
    for _ in range(50):  # the replayed feed's first AAPL quote may be a moment away
        status, placed = call("POST", f"{server.base}/v1/orders", token=token, body=order, key=str(uuid.uuid4()))
        if status == 201:
            break
        assert placed["error"]["code"] == "risk_rejected" and "no_fresh_quote" in str(placed), placed
        time.sleep(0.2)
    assert (status, placed["status"]) == (201, "filled"), placed
