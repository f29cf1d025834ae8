"""The day-order sweep's Lambda handler, fed the scheduled event: a day order expires at 16:00 New York with no
quote for its symbol, a good-till-cancelled one keeps working, the close's price is recorded, and a second run
changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from core import usecases as uc
from core.market import Quote
from core.orders import OrderRequest, OrderStatus, Side
from tests.functional.conftest import LambdaContext
from tests.functional.streams_support import load, on_clock
from tests.support import Clock

EVENT = json.loads((Path(__file__).resolve().parents[1] / "events" / "eventbridge_scheduled.json").read_text())


@pytest.fixture
def sweep(monkeypatch, tmp_path):
    module = load(monkeypatch, "functions.schedules.day_orders", f"sqlite:///{tmp_path / 'p.db'}")
    clock = Clock()
    clock.now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 10:00 New York
    monkeypatch.setattr(module, "platform", on_clock(module.platform, clock))
    yield module, clock
    module.platform.store.close()


def test_the_scheduled_sweep_expires_a_day_order_at_the_close_with_no_quote(sweep) -> None:
    module, clock = sweep
    deps = module.platform.deps
    assert not deps.sessions.demo  # exchange hours, as deployed
    uc.create_account(deps, "alice")
    uc.on_quote(deps, Quote(symbol="AAPL", bid=D("229.90"), ask=D("230.10"), time=clock.now))
    day, gtc = (
        uc.place_order(deps, "alice", OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(5), order_type="limit",
                                                   limit_price=D(price), time_in_force=tif))
        for price, tif in (("200.00", "day"), ("199.00", "gtc"))
    )
    clock.now = datetime(2026, 12, 1, 20, 59, tzinfo=UTC)
    # Monday's close is not recorded with Tuesday's quote
    assert module.handler(EVENT, LambdaContext()) == {"expired": 0, "closes": 0}
    clock.now = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)  # 16:00 New York
    assert module.handler(EVENT, LambdaContext()) == {"expired": 1, "closes": 1}
    assert module.handler({}, LambdaContext()) == {"expired": 0, "closes": 0}
    assert deps.store.orders.get(day.id).status is OrderStatus.EXPIRED
    assert deps.store.orders.get(gtc.id).status is OrderStatus.ACCEPTED
    close = deps.store.quotes.get_closes(["AAPL"])["AAPL"]
    assert (close.at, close.price) == (clock.now, D("230.00"))
