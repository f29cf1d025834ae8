"""Exchange hours through the API handler, on a fixed clock: a market order on a Saturday answers 422
market_closed with the next open; a limit rests; bitcoin trades."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.market import Quote
from tests.functional.conftest import Api, load_handler, seed
from tests.support import Clock

SATURDAY = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


@pytest.fixture
def api(tmp_path, monkeypatch) -> Api:
    module = load_handler(monkeypatch, f"sqlite:///{tmp_path / 'parley.db'}", PARLEY_CALENDAR="exchange")
    clock = Clock()
    clock.now = SATURDAY
    monkeypatch.setattr(module.platform, "deps", replace(module.platform.deps, clock=clock))
    api = seed(Api(module))
    for symbol, bid, ask in (("AAPL", "229.90", "230.10"), ("BTC-USD", "65000.00", "65010.00")):
        uc.on_quote(api.deps, Quote(symbol=symbol, bid=D(bid), ask=D(ask), time=SATURDAY))
    return api


def test_a_market_order_on_a_saturday_answers_422_market_closed_with_the_next_open(api) -> None:
    token = api.token("alice")
    body = {"symbol": "AAPL", "side": "buy", "quantity": "10", "order_type": "market"}
    answer = api("POST", "/v1/orders", token=token, body=body, headers={"Idempotency-Key": "sat-1"})
    assert answer.status == 422
    assert answer.body["error"]["code"] == "risk_rejected"
    assert "the market opens Monday 30 Nov at 09:30 ET (14:30 UTC)" in answer.body["error"]["message"]
    [reason] = answer.body["error"]["details"]["reasons"]
    assert (reason["code"], reason["value"]) == ("market_closed", "2026-11-30T14:30:00+00:00")
    limit = {**body, "order_type": "limit", "limit_price": "231.00"}
    rests = api("POST", "/v1/orders", token=token, body=limit, headers={"Idempotency-Key": "sat-2"})
    assert (rests.status, rests.body["status"], rests.body["filled_quantity"]) == (201, "accepted", "0")
    crypto = {"symbol": "BTC-USD", "side": "buy", "quantity": "0.01", "order_type": "market"}
    filled = api("POST", "/v1/orders", token=token, body=crypto, headers={"Idempotency-Key": "sat-3"})
    assert (filled.status, filled.body["status"]) == (201, "filled")
