"""Notional orders: an amount becomes a quantity at a fresh price, rounded down to the lot size."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from agent.replies import ticket_summary
from core import usecases as uc
from core.errors import InvalidRequest, QuoteUnavailable
from core.orders import OrderRequest, OrderStatus, Side
from tests.support import tick


def notional(symbol: str, side: str, amount: str) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=Side(side), notional=D(amount))


def test_a_notional_buy_gets_the_fractional_shares_the_amount_pays_for_at_the_ask(service, clock) -> None:
    tick(service, clock, "AAPL", "229.90", "230.10")
    placed = uc.place_order(service, "alice", notional("AAPL", "buy", "1000"))
    assert placed.quantity == D("4.3459")  # 1000 / 230.10 = 4.34593..., down to the fractional lot 0.0001
    assert placed.notional == D(1000)
    assert placed.status is OrderStatus.FILLED


def test_a_notional_order_good_till_cancelled_gets_whole_shares_only(service, clock) -> None:
    tick(service, clock, "AAPL", "229.90", "230.10")
    request = OrderRequest(symbol="AAPL", side=Side.BUY, notional=D(1000), time_in_force="gtc")
    assert uc.place_order(service, "alice", request).quantity == D(4)


def test_a_notional_crypto_order_is_sized_in_the_instruments_own_lots(service, clock) -> None:
    tick(service, clock, "BTC-USD", "64990.00", "65010.00")
    placed = uc.place_order(service, "alice", notional("BTC-USD", "buy", "1000"))
    lot = service.catalog.get("BTC-USD").lot_size
    assert placed.quantity % lot == 0
    assert placed.quantity * D("65010.00") <= D(1000) < (placed.quantity + lot) * D("65010.00")


def test_the_ticket_of_a_notional_order_shows_the_amount_and_the_quantity(service, clock) -> None:
    tick(service, clock, "AAPL", "229.90", "230.10")
    ticket = uc.stage_order(service, "alice", notional("AAPL", "buy", "1000"))
    assert ticket.request.quantity == D("4.3459") and ticket.asked_notional == D(1000)
    assert ticket_summary(ticket).startswith("BUY 4.3459 AAPL MKT DAY (for 1,000.00 USD), est. 999.99 USD")


def test_an_amount_below_one_lot_or_without_a_fresh_price_is_refused_clearly(service, clock) -> None:
    with pytest.raises(QuoteUnavailable, match="fresh AAPL price"):
        uc.place_order(service, "alice", notional("AAPL", "buy", "1000"))
    tick(service, clock, "AAPL", "229.90", "230.10")
    tick(service, clock, "CL", "70.00", "70.02")
    with pytest.raises(InvalidRequest, match="less than one lot"):
        uc.place_order(service, "alice", notional("CL", "buy", "1000"))  # a contract is 70,020 USD
    assert uc.list_orders(service, "alice") == []


def test_notional_is_for_market_orders_and_never_with_a_quantity() -> None:
    with pytest.raises(ValueError, match="one of the two"):
        OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(1), notional=D(100))
    with pytest.raises(ValueError, match="only to market orders"):
        OrderRequest(symbol="AAPL", side=Side.BUY, notional=D(100), order_type="limit", limit_price=D(1))
