"""What the gate judges an order against, gathered by the caller (core/usecases/risk_gate.py): the gate itself
does no I/O. The account's valuation, the fresh quote and the recent-order index are worked out once per
context and reused by every order checked against it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property

from core.accounts import Account, TradingState
from core.instruments import Instrument
from core.market import Quote
from core.orders import Order
from core.portfolio import Position
from core.risk.recent import RecentOrders, index_recent
from core.risk.valuation import AccountValue, value_account
from core.risk_book import WorkingOrder
from core.sessions import MarketStatus


@dataclass(frozen=True)
class RiskContext:
    """Everything the gate needs, gathered by the caller; the gate itself does no I/O."""

    account: Account
    instrument: Instrument
    quote: Quote | None
    now: datetime
    positions: list[Position]
    instruments: Mapping[str, Instrument]
    quotes: Mapping[str, Quote]
    recent_orders: list[Order]
    # Today's P&L less the open P&L now, each instrument's day as its calendar has it (core.day_pnl.day_base):
    # the daily loss check adds the open P&L at the context's marks.
    day_base: Decimal
    # The platform's trading state (core.accounts.TradingState); the account's is on the account.
    platform_state: TradingState = TradingState.ACTIVE
    # The account's working orders, bracket exits included: what they promised is core.promised's account.
    working: Sequence[WorkingOrder] = ()
    # An admin closing an account's position: a halted account or platform does not stop an order that only reduces.
    liquidation: bool = False
    # The instrument's market at ``now`` (core.sessions); None leaves the session unchecked.
    market: MarketStatus | None = None
    # What an order at market would pay now on the order's side, the venue's slippage included (Broker.market_price).
    pays: Decimal | None = None

    @cached_property
    def valuation(self) -> AccountValue:
        """The account valued once per context; every order checked against it reuses it."""
        return value_account(
            self.account, self.instrument, self.quote, self.positions, self.instruments, self.quotes, self.working
        )

    @cached_property
    def fresh(self) -> Quote | None:
        """The order's quote if it is young enough for the account to trade on (see fresh_quote)."""
        max_age = timedelta(seconds=self.account.limits.quote_max_age_seconds)
        return self.quote if self.quote is not None and self.quote.is_fresh(self.now, max_age) else None

    @cached_property
    def recent(self) -> RecentOrders:
        """The recent orders indexed once per context, for the rate and duplicate checks."""
        return index_recent(self.recent_orders, self.now, self.account.limits.duplicate_window_seconds)


def fresh_quote(ctx: RiskContext) -> Quote | None:
    """The order's quote if it is young enough for the account to trade on, else None: nothing fills or
    triggers against a stale quote."""
    return ctx.fresh
