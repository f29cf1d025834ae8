"""What an account's working orders have already promised, per instrument: the one account of it that the
gate, the close, buying power, what_if, the portfolio and the API all read.

- ``held``: the position (signed). ``held_for_orders``: what the working orders on its reducing side (sells
  of a long, buys of a short) would take out of it, an OCO group counted once at its largest leg, a bracket's
  exits as soon as they exist, a close in flight like any other working order; never more than is held.
  ``available`` = |held| - held_for_orders (Alpaca's ``qty`` and ``qty_available``).
- What the working orders would open rather than reduce: every buy of a long or flat position, and the part
  of the sells beyond what is held (the mirror for a short). Only that ties up buying power.

A pure function of the position and the working orders: no I/O, nothing stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from core.orders import Side
from core.risk_book import WorkingOrder

ZERO = Decimal(0)

# (side, quantity, price it would trade at or None for the market): a piece of working orders that opens.
Opening = tuple[Side, Decimal, Decimal | None]


@dataclass(slots=True)
class Promised:
    symbol: str
    held: Decimal
    held_for_orders: Decimal
    holding: tuple[str, ...]  # ids of the working orders that reduce the position
    buys: Decimal  # what the working buys may still buy, an OCO group once
    sells: Decimal
    opening: tuple[Opening, ...]

    @property
    def available(self) -> Decimal:
        return abs(self.held) - self.held_for_orders

    def reduces(self, side: Side) -> bool:
        """Whether an order on ``side`` works against the position (a sell of a long, a buy of a short)."""
        return (self.held > 0 and side is Side.SELL) or (self.held < 0 and side is Side.BUY)

    def split(self, side: Side, quantity: Decimal) -> tuple[Decimal, Decimal]:
        """A new order's (reducing, opening) parts: it reduces with at most what is available; the rest opens
        (a short beyond a long, a long beyond a short, or all of it when it adds to the position)."""
        if not self.reduces(side):
            return ZERO, quantity
        reducing = min(quantity, self.available)
        return reducing, quantity - reducing


def nothing_promised(symbol: str, held: Decimal = ZERO) -> Promised:
    return Promised(symbol, held, ZERO, (), ZERO, ZERO, ())


def promised(symbol: str, held: Decimal, working: Iterable[WorkingOrder]) -> Promised:
    """The promises on ``symbol`` given the position ``held`` and the account's working orders on it. One pass,
    plain loops: every order the gate checks values the account's working orders through here."""
    pieces: list[WorkingOrder] = []
    groups: dict[str, WorkingOrder] = {}
    for order in working:
        if order.symbol != symbol or order.remaining <= 0:
            continue
        group = order.group
        if group is None:
            pieces.append(order)
            continue
        seen = groups.get(group)  # an OCO group promises its largest leg, once, at the dearest of its prices
        if seen is None:
            groups[group] = order
        else:
            price = None if seen.price is None or order.price is None else max(seen.price, order.price)
            groups[group] = seen.model_copy(update={"remaining": max(seen.remaining, order.remaining),
                                                    "price": price})
    if groups:
        pieces.extend(groups.values())
    buys = sells = ZERO
    for order in pieces:
        if order.side is Side.BUY:
            buys += order.remaining
        else:
            sells += order.remaining
    reducing_side = Side.SELL if held > 0 else Side.BUY if held < 0 else None
    opening: list[Opening] = []
    holding: tuple[str, ...] = ()
    held_for_orders = ZERO
    if reducing_side is not None:
        total = buys if reducing_side is Side.BUY else sells
        held_for_orders = min(total, abs(held))
        reducing = [o for o in pieces if o.side is reducing_side]
        holding = tuple(o.id for o in reducing if o.id is not None)
        beyond = total - held_for_orders
        if beyond > 0:  # the part beyond the position opens the other side, at the dearest of the prices
            prices = [o.price for o in reducing]
            price = None if None in prices else max(p for p in prices if p is not None)
            opening.append((reducing_side, beyond, price))
    opening.extend((o.side, o.remaining, o.price) for o in pieces if o.side is not reducing_side)
    return Promised(symbol, held, held_for_orders, holding, buys, sells, tuple(opening))


def promised_by_symbol(held: Mapping[str, Decimal], working: Iterable[WorkingOrder]) -> dict[str, Promised]:
    """``promised`` for every symbol held or worked: one pass to group the orders, one call per symbol."""
    by_symbol: dict[str, list[WorkingOrder]] = {}
    for order in working:
        by_symbol.setdefault(order.symbol, []).append(order)
    found = {s: promised(s, held.get(s, ZERO), orders) for s, orders in by_symbol.items()}
    for symbol, quantity in held.items():  # held with no working order: nothing promised (the gate's hot path)
        if quantity and symbol not in found:
            found[symbol] = Promised(symbol, quantity, ZERO, (), ZERO, ZERO, ())
    return found
