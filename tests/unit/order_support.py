"""Shared builders for the order tests: a request with the minimal price fields of its type, and a stored order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.orders import Order, OrderRequest, OrderStatus, OrderType, Side

D = Decimal
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=5)

# The smallest valid set of price fields for a buy of each order type.
MINIMAL: dict[OrderType, dict[str, Decimal]] = {
    OrderType.MARKET: {},
    OrderType.LIMIT: {"limit_price": D("100.00")},
    OrderType.STOP: {"stop_price": D("100.00")},
    OrderType.STOP_LIMIT: {"stop_price": D("100.00"), "limit_price": D("100.50")},
    OrderType.TRAILING_STOP: {"trail_amount": D("1.00")},
    OrderType.TAKE_PROFIT: {"take_profit_price": D("110.00")},
    OrderType.BRACKET: {"take_profit_price": D("110.00"), "stop_loss_price": D("90.00")},
}


def request(kind: OrderType = OrderType.MARKET, **overrides: object) -> OrderRequest:
    fields: dict[str, object] = {"symbol": "AAPL", "side": "buy", "quantity": D(10), "order_type": kind}
    fields.update(MINIMAL[kind])
    fields.update(overrides)
    return OrderRequest(**fields)


def order(status: OrderStatus = OrderStatus.ACCEPTED, quantity: str = "10", **fields: object) -> Order:
    return Order(
        symbol="AAPL", side=Side.BUY, quantity=D(quantity), id="ORD1", account_id="acc-1",
        status=status, created_at=T0, updated_at=T0, **fields,
    )
