"""An account's risk book: its working orders as the pre-trade gate counts them, versioned.

Every unit of work that places, fills or ends an order of the account writes its book, so two decisions on
one account can never both commit on a state that only one of them saw: the second one's book write fails
its version check and the use case retries on the new state (Lambda runs many containers on one table).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.orders import Order, Side

ZERO = Decimal(0)


class WorkingOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    symbol: str
    side: Side
    remaining: Decimal
    price: Decimal | None = None  # the price it would trade at when known (limit, stop), else None (market)
    exit: bool = False  # a bracket exit: it only ever reduces the position it protects
    id: str | None = None  # the order's id, to say which orders hold a position (None in books stored before)
    group: str | None = None  # its OCO group: the group promises its largest leg, once (core.promised)


class RiskBook(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    account_id: str
    working: dict[str, WorkingOrder] = Field(default_factory=dict)
    version: int = 0

    @model_validator(mode="before")
    @classmethod
    def _without_day_start(cls, data: Any) -> Any:
        """Books stored while today's P&L was measured from the account's first valuation of the UTC day
        carry that valuation; today's P&L now comes from the positions (core.day_pnl)."""
        if isinstance(data, dict) and ("day" in data or "day_start_equity" in data):
            return {k: v for k, v in data.items() if k not in ("day", "day_start_equity")}
        return data

    def track(self, order: Order) -> None:
        """Record where ``order`` stands now: working with what remains, or gone from the book."""
        if order.status.is_open and order.remaining_quantity > 0:
            self.working[order.id] = WorkingOrder(
                symbol=order.symbol, side=order.side, remaining=order.remaining_quantity,
                price=order.limit_price or order.stop_price, exit=order.oco_group is not None, id=order.id,
                group=order.oco_group,
            )
        else:
            self.working.pop(order.id, None)

    def pending(self, symbol: str, side: Side) -> Decimal:
        """What the trader's own working orders (not bracket exits) may still add on ``side`` of ``symbol``."""
        return sum(
            (w.remaining for w in self.working.values() if w.symbol == symbol and w.side is side and not w.exit),
            ZERO,
        )

    def opening(self, excluding: str | None = None) -> list[WorkingOrder]:
        """The working orders that are not bracket exits (less ``excluding``, an order being replaced)."""
        return [w for order_id, w in self.working.items() if not w.exit and order_id != excluding]

    def orders(self, excluding: str | None = None) -> list[WorkingOrder]:
        """Every working order, bracket exits included, with its id (what core.promised counts), less
        ``excluding`` (an order being replaced) and the rest of its OCO group (one promise between them)."""
        left_out = self.working.get(excluding) if excluding is not None else None
        group = left_out.group if left_out is not None else None
        return [
            w.model_copy(update={"id": order_id}) if w.id is None else w
            for order_id, w in self.working.items()
            if order_id != excluding and (group is None or w.group != group)
        ]
