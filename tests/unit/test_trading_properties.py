"""A stateful property test of the trading core: random orders (market, limit, stop, trailing, bracket),
quotes with and without sizes, fresh and stale, cancels, modifies and time passing, with the book checked
after every step."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from core import usecases as uc
from core.accounts import Role
from core.errors import ParleyError
from core.market import Quote
from core.orders import OrderRequest, OrderStatus, OrderType, Side
from core.risk_limits import RiskLimits
from infra.brokers.paper import PaperBroker
from infra.stores import open_store

SYMBOLS = ("AAPL", "BTC-USD")
BASE = {"AAPL": D("100.00"), "BTC-USD": D("60000.00")}
MAX_AGE = timedelta(seconds=60)
LOOSE = RiskLimits(max_order_quantity=None, max_order_notional=None, price_collar_percent=None,
                   max_position_quantity=None, max_gross_exposure=None, daily_loss_limit=None,
                   duplicate_window_seconds=0, max_orders_per_minute=None)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, inside the New York session

    def __call__(self) -> datetime:
        return self.now


class TradingMachine(RuleBasedStateMachine):
    @initialize()
    def open_the_book(self) -> None:
        self.clock = Clock()
        self.deps = uc.Deps(store=open_store("memory://"), broker=PaperBroker(), clock=self.clock)
        uc.create_account(self.deps, "t", starting_cash=D("100000000"))
        ops = uc.create_account(self.deps, "ops", role=Role.ADMIN)
        uc.set_limits(self.deps, ops, "t", LOOSE)
        self.quotes: dict[str, list[Quote]] = defaultdict(list)
        self.prices = dict(BASE)

    # -- what happens -----------------------------------------------------------------------------

    @rule(symbol=st.sampled_from(SYMBOLS), move=st.integers(-300, 300), spread=st.integers(1, 20),
          sized=st.booleans(), bid_size=st.integers(0, 5), ask_size=st.integers(0, 5))
    def quote(self, symbol: str, move: int, spread: int, sized: bool, bid_size: int, ask_size: int) -> None:
        self.clock.now += timedelta(seconds=1)
        tick = D("0.01")
        bid = max(self.prices[symbol] + move * tick * (10 if symbol == "BTC-USD" else 1), D("1.00"))
        self.prices[symbol] = bid
        sizes = {"bid_size": D(bid_size), "ask_size": D(ask_size)} if sized else {}
        quote = Quote(symbol=symbol, bid=bid, ask=bid + spread * tick, time=self.clock.now, **sizes)
        self.quotes[symbol].append(quote)
        uc.on_quote(self.deps, quote)

    @rule(minutes=st.sampled_from([1, 5, 90]))
    def time_passes(self, minutes: int) -> None:
        self.clock.now += timedelta(minutes=minutes)  # quotes go stale

    @rule(symbol=st.sampled_from(SYMBOLS), side=st.sampled_from(list(Side)), lots=st.integers(1, 6),
          kind=st.sampled_from(["market", "limit", "stop", "trailing_stop", "bracket"]),
          offset=st.integers(-200, 200))
    def place(self, symbol: str, side: Side, lots: int, kind: str, offset: int) -> None:
        instrument = self.deps.catalog.get(symbol)
        quantity = instrument.lot_size * lots * (1 if symbol == "AAPL" else 100)
        price = self.prices[symbol] + offset * instrument.tick_size * (10 if symbol == "BTC-USD" else 1)
        fields: dict = {}
        if kind == "limit":
            fields = {"limit_price": max(price, instrument.tick_size)}
        elif kind == "stop":
            fields = {"stop_price": max(price, instrument.tick_size)}
        elif kind == "trailing_stop":
            fields = {"trail_percent": D(1)}
        elif kind == "bracket":
            step = abs(offset) * instrument.tick_size + instrument.tick_size * 5
            up, down = self.prices[symbol] + step, max(self.prices[symbol] - step, instrument.tick_size)
            fields = {"take_profit_price": up, "stop_loss_price": down} if side is Side.BUY else {
                "take_profit_price": down, "stop_loss_price": up}
        try:
            request = OrderRequest(symbol=symbol, side=side, quantity=quantity, order_type=kind, **fields)
            uc.place_order(self.deps, "t", request)
        except (ParleyError, ValueError):
            pass  # refused: by the gate, by an entry check, or not a valid order at all

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        working = uc.list_orders(self.deps, "t", open_only=True)
        if working:
            uc.cancel_order(self.deps, "t", working[pick % len(working)].id)

    @rule(pick=st.integers(0, 50), lots=st.integers(1, 8))
    def modify(self, pick: int, lots: int) -> None:
        working = uc.list_orders(self.deps, "t", open_only=True)
        if not working:
            return
        order = working[pick % len(working)]
        lot = self.deps.catalog.get(order.symbol).lot_size * (1 if order.symbol == "AAPL" else 100)
        with contextlib.suppress(ParleyError):  # refused: by the gate, or below what has filled
            uc.modify_order(self.deps, "t", order.id, quantity=order.filled_quantity + lot * lots)

    # -- what must always hold ----------------------------------------------------------------------

    def _fills(self):
        return self.deps.store.fills.list_for_account("t")

    @invariant()
    def each_position_is_the_sum_of_its_fills(self) -> None:
        if not hasattr(self, "deps"):
            return
        held: dict[str, D] = defaultdict(D)
        for fill in self._fills():
            held[fill.symbol] += fill.quantity * fill.side.sign
        for position in self.deps.store.positions.list_for_account("t"):
            assert position.quantity == held[position.symbol], position

    @invariant()
    def each_order_has_filled_the_sum_of_its_fills_and_every_fill_has_one_order(self) -> None:
        if not hasattr(self, "deps"):
            return
        fills = self._fills()
        assert len({f.id for f in fills}) == len(fills)
        by_order: dict[str, D] = defaultdict(D)
        for fill in fills:
            by_order[fill.order_id] += fill.quantity
        orders = {o.id: o for o in self.deps.store.orders.list_for_account("t")}
        assert set(by_order) <= set(orders)
        for order in orders.values():
            assert order.filled_quantity == by_order.get(order.id, D(0)), order

    @invariant()
    def an_oco_group_never_fills_both_exits_nor_more_than_it_protects(self) -> None:
        if not hasattr(self, "deps"):
            return
        orders = self.deps.store.orders.list_for_account("t")
        groups: dict[str, list] = defaultdict(list)
        for order in orders:
            if order.oco_group is not None:
                groups[order.oco_group].append(order)
        protected = {f.id: f.quantity for f in self._fills()}
        for group, exits in groups.items():
            assert sum(1 for o in exits if o.status is OrderStatus.FILLED) <= 1, exits
            assert sum((o.filled_quantity for o in exits), D(0)) <= protected[group], exits

    @invariant()
    def crypto_is_never_short(self) -> None:
        if not hasattr(self, "deps"):
            return
        position = self.deps.store.positions.get("t", "BTC-USD")
        assert position is None or position.quantity >= 0

    @invariant()
    def no_fill_against_a_stale_quote(self) -> None:
        if not hasattr(self, "deps"):
            return
        for fill in self._fills():
            quotes = self.quotes[fill.symbol]
            assert any(fill.time - MAX_AGE <= q.time <= fill.time for q in quotes), fill

    @invariant()
    def bracket_exits_are_limit_or_stop_orders_of_the_entry_side_opposite(self) -> None:
        if not hasattr(self, "deps"):
            return
        orders = {o.id: o for o in self.deps.store.orders.list_for_account("t")}
        for order in orders.values():
            if order.parent_id is not None:
                assert order.order_type in (OrderType.LIMIT, OrderType.STOP)
                assert order.side is orders[order.parent_id].side.opposite


TradingMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_the_trading_core_keeps_its_books_straight = TradingMachine.TestCase
