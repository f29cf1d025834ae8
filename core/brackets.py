"""Bracket orders: the two exits an entry fill spawns, one-cancels-other between them, and keeping exits
no larger than the position they protect.

The broker only works a bracket's entry; whoever books its fills uses these pure helpers to create the
exits, to shrink or cancel the sibling of an exit that fills (Alpaca and IB: a partial fill of one leg
reduces the other to what remains), and to fit every working exit to the position after it shrinks, so an
exit can never open a new position.
"""

from __future__ import annotations

from decimal import Decimal

from core.errors import InvalidRequest
from core.instruments import Instrument
from core.orders import Order, OrderRequest, OrderType, Side


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
        time_in_force=entry.time_in_force,  # Alpaca: the legs take the parent's time in force
    )
    stop_loss = OrderRequest(
        symbol=entry.symbol,
        side=side,
        quantity=filled_quantity,
        order_type=OrderType.STOP,
        stop_price=entry.stop_loss_price,
        time_in_force=entry.time_in_force,
    )
    return take_profit, stop_loss


def check_exits_beyond(request: OrderRequest, base: Decimal, instrument: Instrument) -> None:
    """Refuse a bracket whose exits are not beyond its base price (the entry's limit, or the market for a
    market entry): Alpaca requires take_profit >= base + 0.01 and stop_loss <= base - 0.01 for a buy (and the
    mirror for a sell); here one tick of the instrument. Otherwise an exit would fill the moment it exists."""
    tp, sl, tick = request.take_profit_price, request.stop_loss_price, instrument.tick_size
    if request.order_type is not OrderType.BRACKET or tp is None or sl is None:
        return
    buy = request.side is Side.BUY
    bad = []
    if (tp < base + tick) if buy else (tp > base - tick):
        bad.append(f"take_profit_price {tp} is not {'above' if buy else 'below'} {base}")
    if (sl > base - tick) if buy else (sl < base + tick):
        bad.append(f"stop_loss_price {sl} is not {'below' if buy else 'above'} {base}")
    if bad:
        raise InvalidRequest(
            f"A {request.side.value} bracket's exits must lie beyond its base price {base} by at least one tick "
            f"({tick}): {'; '.join(bad)}.",
            code="bracket_exits_not_beyond_base", base_price=str(base),
        )


def oco_siblings(filled_exit: Order, group: list[Order]) -> list[Order]:
    """The other orders of ``filled_exit``'s OCO group that are still working or waiting."""
    if filled_exit.oco_group is None:
        return []
    return [
        order
        for order in group
        if order.oco_group == filled_exit.oco_group and order.id != filled_exit.id and not order.status.is_final
    ]


def sibling_quantity(filled_exit: Order, sibling: Order) -> Decimal:
    """What ``sibling`` must now cover: the exits of a group protect one quantity Q between them, so each one's
    quantity is Q less what the other has filled (Q = the filled exit's quantity + the sibling's fills)."""
    return filled_exit.quantity + sibling.filled_quantity - filled_exit.filled_quantity


def fit_exits(position: Decimal, exits: list[Order]) -> list[tuple[Order, Decimal]]:
    """The new quantities that keep working bracket exits within ``position`` (signed): exits on the side
    that reduces it keep, oldest group first, as much as the position still covers; exits that would add to
    it (the position is flat or flipped) go to their filled quantity, i.e. are cancelled. Returns
    (exit, new quantity) for every exit that must change; a new quantity equal to its filled quantity means
    cancel the rest."""
    reducing = Side.SELL if position > 0 else Side.BUY
    available = abs(position)
    changes: list[tuple[Order, Decimal]] = []
    groups: dict[str, list[Order]] = {}
    for order in sorted(exits, key=lambda o: (o.created_at, o.id)):
        groups.setdefault(order.oco_group or order.id, []).append(order)
    for members in groups.values():
        protected = max(o.remaining_quantity for o in members)
        keep = min(protected, available) if members[0].side is reducing and position != 0 else Decimal(0)
        available -= keep
        if keep == protected:
            continue
        for order in members:
            changes.append((order, order.filled_quantity + min(order.remaining_quantity, keep)))
    return changes
