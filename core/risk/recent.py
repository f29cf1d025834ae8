"""The account's recent orders, indexed once per context for the rate and duplicate checks: how many fall in
the rate window, and which could be the same order sent twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from core.orders import Order, OrderRequest, OrderStatus, Side

RATE_WINDOW = timedelta(seconds=60)

_TWIN_FIELDS = ("order_type", "limit_price", "stop_price", "trail_amount", "trail_percent", "take_profit_price",
                "stop_loss_price")


@dataclass(frozen=True, slots=True)
class RecentOrders:
    """The context's recent orders indexed once (cached on it like the valuation): how many fall in the rate
    window, and the possible twins inside the duplicate window by (side, quantity, symbol), newest first."""

    in_rate_window: int
    twins: dict[tuple[Side, Decimal, str], list[tuple[timedelta, Order]]]


def index_recent(orders: Iterable[Order], now: datetime, duplicate_window_seconds: int) -> RecentOrders:
    window = timedelta(seconds=duplicate_window_seconds)
    count = 0
    twins: dict[tuple[Side, Decimal, str], list[tuple[timedelta, Order]]] = {}
    for order in orders:
        if order.parent_id is not None:
            continue  # a bracket's exits are the system's orders, not the trader's
        age = now - order.created_at
        if age <= RATE_WINDOW:
            count += 1
        if window and age <= window and _counts_as_twin(order):
            twins.setdefault((order.side, order.quantity, order.symbol.upper()), []).append((age, order))
    for found in twins.values():
        found.sort(key=lambda pair: pair[0])
    return RecentOrders(count, twins)


def is_twin(order: Order, request: OrderRequest, symbol: str) -> bool:
    """The same instruction again: side, quantity, symbol, type and every price. A scale-in at another price
    is a new decision."""
    return (
        order.side is request.side
        and order.quantity == request.size
        and order.symbol.upper() == symbol
        and all(getattr(order, name) == getattr(request, name) for name in _TWIN_FIELDS)
    )


def _counts_as_twin(order: Order) -> bool:
    """A rejected order never traded, an unconfirmed ticket was not placed, and one cancelled or expired
    unfilled was withdrawn on purpose: sending it again is a new decision, not a double send."""
    if order.status in (OrderStatus.REJECTED, OrderStatus.PENDING_CONFIRMATION):
        return False  # never traded, or not placed yet: a chat ticket waits for its confirmation
    withdrawn = order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED)
    return not (withdrawn and order.filled_quantity == 0)
