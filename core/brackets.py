"""Bracket orders: the two exits an entry fill spawns, and one-cancels-other between them.

The broker only works a bracket's entry; whoever books its fills uses these pure helpers to create the
exits and, when one exit fills, to find the sibling(s) to cancel.
"""

from __future__ import annotations

from decimal import Decimal

from core.errors import InvalidRequest
from core.orders import Order, OrderRequest, OrderType, TimeInForce


def exit_requests(entry: Order, filled_quantity: Decimal) -> tuple[OrderRequest, OrderRequest]:
    """The take-profit (limit) and stop-loss (stop) exits for ``filled_quantity`` of a bracket entry."""
    if entry.order_type is not OrderType.BRACKET:
        raise InvalidRequest(f"Order {entry.id} is a {entry.order_type.value} order, not a bracket.")
    if entry.take_profit_price is None or entry.stop_loss_price is None:
        raise InvalidRequest(f"Bracket {entry.id} has no take_profit_price or stop_loss_price.")
    if not 0 < filled_quantity <= entry.quantity:
        raise InvalidRequest(f"Bracket {entry.id} cannot have filled {filled_quantity} of {entry.quantity}.")
    side = entry.side.opposite
    take_profit = OrderRequest(
        symbol=entry.symbol,
        side=side,
        quantity=filled_quantity,
        order_type=OrderType.LIMIT,
        limit_price=entry.take_profit_price,
        time_in_force=TimeInForce.GTC,
    )
    stop_loss = OrderRequest(
        symbol=entry.symbol,
        side=side,
        quantity=filled_quantity,
        order_type=OrderType.STOP,
        stop_price=entry.stop_loss_price,
        time_in_force=TimeInForce.GTC,
    )
    return take_profit, stop_loss


def oco_siblings(filled_exit: Order, group: list[Order]) -> list[Order]:
    """The orders in ``filled_exit``'s OCO group still to cancel: every other one not already final."""
    if filled_exit.oco_group is None:
        return []
    return [
        order
        for order in group
        if order.oco_group == filled_exit.oco_group and order.id != filled_exit.id and not order.status.is_final
    ]
