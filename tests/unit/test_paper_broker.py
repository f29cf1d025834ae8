"""The paper broker: every order type filling, resting and triggering against quotes, with no state kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.ids import derived_id
from core.instruments import AssetClass, Instrument, InstrumentCatalog
from core.market import Quote
from core.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from core.ports.broker import BrokerEvent, EventKind
from infra.brokers.paper import PaperBroker

D = Decimal
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CATALOG = InstrumentCatalog(
    [
        Instrument(symbol="AAPL", asset_class=AssetClass.EQUITY, tick_size=D("0.01"), lot_size=D(1)),
        Instrument(symbol="BTC-USD", asset_class=AssetClass.CRYPTO, tick_size=D("0.01"), lot_size=D("0.00001")),
    ]
)
BROKER = PaperBroker(instruments=CATALOG)


def order(
    side: Side = Side.BUY,
    quantity: str = "100",
    order_type: OrderType = OrderType.MARKET,
    *,
    id: str = "ORD1",
    symbol: str = "AAPL",
    status: OrderStatus = OrderStatus.NEW,
    filled: str = "0",
    age: int = 0,
    **fields: object,
) -> Order:
    created = NOW - timedelta(seconds=age)
    return Order(
        id=id, account_id="acc-1", symbol=symbol, side=side, quantity=D(quantity), order_type=order_type,
        status=status, filled_quantity=D(filled), created_at=created, updated_at=created, **fields,
    )  # fmt: skip


def working(side: Side = Side.BUY, quantity: str = "100", order_type: OrderType = OrderType.MARKET, **kw) -> Order:
    status = OrderStatus.PARTIALLY_FILLED if D(kw.get("filled", "0")) > 0 else OrderStatus.ACCEPTED
    return order(side, quantity, order_type, status=status, **kw)


def quote(
    bid: str = "99.99", ask: str = "100.01", bid_size: str | None = None, ask_size: str | None = None, symbol="AAPL"
) -> Quote:
    return Quote(
        symbol=symbol, bid=D(bid), ask=D(ask), time=NOW,
        bid_size=D(bid_size) if bid_size else None, ask_size=D(ask_size) if ask_size else None,
    )  # fmt: skip


def kinds(events: list[BrokerEvent]) -> list[EventKind]:
    return [e.kind for e in events]


def fills(events: list[BrokerEvent]) -> list[tuple[Decimal, Decimal]]:
    return [(e.fill.quantity, e.fill.price) for e in events if e.fill is not None]


# -- market orders ---------------------------------------------------------------------------------


def test_a_market_buy_is_accepted_then_filled_at_the_ask() -> None:
    events = BROKER.submit(order(), quote(), NOW)
    assert kinds(events) == [EventKind.ACCEPTED, EventKind.FILL]
    fill = events[1].fill
    assert fill is not None
    assert (fill.quantity, fill.price, fill.side, fill.symbol) == (D(100), D("100.01"), Side.BUY, "AAPL")
    assert (fill.order_id, fill.account_id, fill.time) == ("ORD1", "acc-1", NOW)


def test_a_market_sell_fills_at_the_bid() -> None:
    assert fills(BROKER.submit(order(Side.SELL), quote(), NOW)) == [(D(100), D("99.99"))]


def test_a_market_order_without_a_quote_is_rejected_with_a_reason() -> None:
    events = BROKER.submit(order(), None, NOW)
    assert kinds(events) == [EventKind.REJECTED]
    assert "no quote for AAPL" in (events[0].reason or "")


def test_slippage_worsens_a_buy_rounding_up_to_the_tick_and_a_sell_rounding_down() -> None:
    broker = PaperBroker(slippage_bps=D("10"), instruments=CATALOG)
    # 100.01 x 1.001 = 100.11001 -> 100.12; 99.99 x 0.999 = 99.89001 -> 99.89
    assert fills(broker.submit(order(Side.BUY), quote(), NOW)) == [(D(100), D("100.12"))]
    assert fills(broker.submit(order(Side.SELL), quote(), NOW)) == [(D(100), D("99.89"))]


def test_slippage_outside_zero_to_ten_thousand_bps_is_refused() -> None:
    with pytest.raises(ValueError, match="slippage_bps"):
        PaperBroker(slippage_bps=D("-1"), instruments=CATALOG)


def test_a_day_market_order_fills_what_the_book_shows_and_keeps_working_for_the_rest() -> None:
    first = BROKER.submit(order(), quote(ask_size="40"), NOW)
    assert kinds(first) == [EventKind.ACCEPTED, EventKind.FILL]
    assert fills(first) == [(D(40), D("100.01"))]
    later = BROKER.on_quote([working(filled="40")], quote(ask="100.02", ask_size="500"), NOW)
    assert fills(later) == [(D(60), D("100.02"))]


def test_partial_fills_are_floored_to_the_lot_size() -> None:
    btc = order(quantity="1", symbol="BTC-USD")
    events = BROKER.submit(btc, quote("64999.99", "65000.01", ask_size="0.123456", symbol="BTC-USD"), NOW)
    assert fills(events) == [(D("0.12345"), D("65000.01"))]


def test_fill_ids_derive_from_the_order_and_its_filled_quantity_so_replays_match() -> None:
    first = BROKER.submit(order(), quote(ask_size="40"), NOW)
    again = BROKER.submit(order(), quote(ask_size="40"), NOW)
    assert first == again
    assert first[1].fill is not None and first[1].fill.id == derived_id("ORD1", "40")
    rest = BROKER.on_quote([working(filled="40")], quote(), NOW)
    assert rest[0].fill is not None and rest[0].fill.id == derived_id("ORD1", "100")


# -- limit orders and time in force ----------------------------------------------------------------


def test_a_marketable_limit_buy_fills_at_the_ask_with_price_improvement_and_no_slippage() -> None:
    broker = PaperBroker(slippage_bps=D("50"), instruments=CATALOG)
    events = broker.submit(order(order_type=OrderType.LIMIT, limit_price=D("101.00")), quote(), NOW)
    assert fills(events) == [(D(100), D("100.01"))]


def test_a_limit_at_exactly_the_touch_is_marketable() -> None:
    assert fills(BROKER.submit(order(order_type=OrderType.LIMIT, limit_price=D("100.01")), quote(), NOW))
    sell = order(Side.SELL, order_type=OrderType.LIMIT, limit_price=D("99.99"))
    assert fills(BROKER.submit(sell, quote(), NOW)) == [(D(100), D("99.99"))]


def test_a_limit_away_from_the_market_rests_and_fills_when_the_market_reaches_it() -> None:
    events = BROKER.submit(order(order_type=OrderType.LIMIT, limit_price=D("100.00")), quote(), NOW)
    assert kinds(events) == [EventKind.ACCEPTED]
    resting = working(order_type=OrderType.LIMIT, limit_price=D("100.00"))
    assert BROKER.on_quote([resting], quote("99.98", "100.01"), NOW) == []
    assert fills(BROKER.on_quote([resting], quote("99.97", "99.99"), NOW)) == [(D(100), D("99.99"))]


def test_an_ioc_order_fills_what_is_there_and_cancels_the_remainder() -> None:
    events = BROKER.submit(order(time_in_force=TimeInForce.IOC), quote(ask_size="40"), NOW)
    assert kinds(events) == [EventKind.ACCEPTED, EventKind.FILL, EventKind.CANCELLED]
    assert fills(events) == [(D(40), D("100.01"))]
    assert events[2].reason == "ioc: unfilled remainder cancelled"


def test_a_non_marketable_ioc_limit_is_accepted_then_cancelled() -> None:
    ioc = order(order_type=OrderType.LIMIT, limit_price=D("99.00"), time_in_force=TimeInForce.IOC)
    assert kinds(BROKER.submit(ioc, quote(), NOW)) == [EventKind.ACCEPTED, EventKind.CANCELLED]


def test_a_fok_order_without_enough_liquidity_is_cancelled_with_no_fill() -> None:
    events = BROKER.submit(order(time_in_force=TimeInForce.FOK), quote(ask_size="99"), NOW)
    assert kinds(events) == [EventKind.ACCEPTED, EventKind.CANCELLED]
    assert events[1].reason == "fok: not enough liquidity to fill in full"
    fok_limit = order(order_type=OrderType.LIMIT, limit_price=D("99"), time_in_force=TimeInForce.FOK)
    assert kinds(BROKER.submit(fok_limit, quote(), NOW)) == [EventKind.ACCEPTED, EventKind.CANCELLED]


def test_a_fok_order_with_enough_liquidity_fills_in_full() -> None:
    events = BROKER.submit(order(time_in_force=TimeInForce.FOK), quote(ask_size="100"), NOW)
    assert kinds(events) == [EventKind.ACCEPTED, EventKind.FILL]
    assert fills(events) == [(D(100), D("100.01"))]


# -- stops, take-profits and trailing stops --------------------------------------------------------


def test_a_sell_stop_rests_above_the_market_and_fills_with_slippage_once_the_bid_touches_it() -> None:
    broker = PaperBroker(slippage_bps=D("10"), instruments=CATALOG)
    stop = dict(order_type=OrderType.STOP, stop_price=D("95.00"))
    assert kinds(broker.submit(order(Side.SELL, **stop), quote(), NOW)) == [EventKind.ACCEPTED]
    assert broker.on_quote([working(Side.SELL, **stop)], quote("95.01", "95.03"), NOW) == []
    # 95.00 x 0.999 = 94.905 -> 94.90
    assert fills(broker.on_quote([working(Side.SELL, **stop)], quote("95.00", "95.02"), NOW)) == [(D(100), D("94.90"))]


def test_a_buy_stop_triggers_when_the_ask_reaches_it() -> None:
    stop = dict(order_type=OrderType.STOP, stop_price=D("101.00"))
    assert BROKER.on_quote([working(**stop)], quote("100.98", "100.99"), NOW) == []
    assert fills(BROKER.on_quote([working(**stop)], quote("100.99", "101.00"), NOW)) == [(D(100), D("101.00"))]


def test_a_stop_already_through_the_market_triggers_on_submit() -> None:
    events = BROKER.submit(order(Side.SELL, order_type=OrderType.STOP, stop_price=D("101")), quote(), NOW)
    assert kinds(events) == [EventKind.ACCEPTED, EventKind.FILL]


def test_a_triggered_stop_that_met_no_liquidity_says_so_and_then_fills_at_market() -> None:
    stop = dict(order_type=OrderType.STOP, stop_price=D("95.00"))
    events = BROKER.on_quote([working(Side.SELL, **stop)], quote("94.99", "95.01", bid_size="0"), NOW)
    assert kinds(events) == [EventKind.TRIGGERED]
    later = BROKER.on_quote([working(Side.SELL, triggered=True, **stop)], quote("96.00", "96.02"), NOW)
    assert fills(later) == [(D(100), D("96.00"))]


def test_a_stop_limit_triggers_then_rests_as_a_limit_when_not_marketable() -> None:
    stop_limit = dict(order_type=OrderType.STOP_LIMIT, stop_price=D("95.00"), limit_price=D("94.50"))
    events = BROKER.on_quote([working(Side.SELL, **stop_limit)], quote("94.00", "94.02"), NOW)
    assert kinds(events) == [EventKind.TRIGGERED]
    # Back above the stop: only an order already triggered works as a limit and fills.
    assert BROKER.on_quote([working(Side.SELL, **stop_limit)], quote("96.00", "96.02"), NOW) == []
    triggered = working(Side.SELL, triggered=True, **stop_limit)
    assert fills(BROKER.on_quote([triggered], quote("96.00", "96.02"), NOW)) == [(D(100), D("96.00"))]


def test_a_stop_limit_touched_and_marketable_triggers_and_fills_on_the_same_quote() -> None:
    stop_limit = dict(order_type=OrderType.STOP_LIMIT, stop_price=D("95.00"), limit_price=D("94.50"))
    events = BROKER.submit(order(Side.SELL, **stop_limit), quote("94.80", "94.82"), NOW)
    assert kinds(events) == [EventKind.ACCEPTED, EventKind.TRIGGERED, EventKind.FILL]
    assert fills(events) == [(D(100), D("94.80"))]


def test_a_take_profit_sell_fills_at_market_once_the_bid_reaches_it() -> None:
    tp = dict(order_type=OrderType.TAKE_PROFIT, take_profit_price=D("110.00"))
    assert kinds(BROKER.submit(order(Side.SELL, **tp), quote(), NOW)) == [EventKind.ACCEPTED]
    assert BROKER.on_quote([working(Side.SELL, **tp)], quote("109.99", "110.01"), NOW) == []
    assert fills(BROKER.on_quote([working(Side.SELL, **tp)], quote("110.02", "110.04"), NOW)) == [(D(100), D("110.02"))]


def test_a_take_profit_buy_fills_once_the_ask_falls_to_it() -> None:
    tp = dict(order_type=OrderType.TAKE_PROFIT, take_profit_price=D("90.00"))
    assert BROKER.on_quote([working(**tp)], quote("89.99", "90.01"), NOW) == []
    assert fills(BROKER.on_quote([working(**tp)], quote("89.98", "90.00"), NOW)) == [(D(100), D("90.00"))]


def test_a_trailing_sell_stop_starts_at_the_bid_follows_the_market_up_then_triggers() -> None:
    trail = dict(order_type=OrderType.TRAILING_STOP, trail_amount=D("2.00"))
    events = BROKER.submit(order(Side.SELL, **trail), quote("100.00", "100.02"), NOW)
    assert kinds(events) == [EventKind.ACCEPTED, EventKind.TRAIL_MOVED]
    assert events[1].trail_reference == D("100.00")
    up = BROKER.on_quote([working(Side.SELL, trail_reference=D("100.00"), **trail)], quote("105.00", "105.02"), NOW)
    assert kinds(up) == [EventKind.TRAIL_MOVED] and up[0].trail_reference == D("105.00")
    # The reference never moves back down; the stop now sits at 103.00.
    at_105 = working(Side.SELL, trail_reference=D("105.00"), **trail)
    assert BROKER.on_quote([at_105], quote("103.01", "103.03"), NOW) == []
    assert fills(BROKER.on_quote([at_105], quote("103.00", "103.02"), NOW)) == [(D(100), D("103.00"))]


def test_a_trailing_buy_stop_follows_the_market_down_by_a_percentage_rounded_to_tick() -> None:
    trail = dict(order_type=OrderType.TRAILING_STOP, trail_percent=D("5"))
    down = BROKER.on_quote([working(trail_reference=D("100.00"), **trail)], quote("90.99", "91.01"), NOW)
    assert kinds(down) == [EventKind.TRAIL_MOVED] and down[0].trail_reference == D("91.01")
    at_91 = working(trail_reference=D("91.01"), **trail)  # stop 91.01 x 1.05 = 95.5605 -> 95.56
    assert BROKER.on_quote([at_91], quote("95.53", "95.55"), NOW) == []
    assert fills(BROKER.on_quote([at_91], quote("95.54", "95.56"), NOW)) == [(D(100), D("95.56"))]


# -- brackets, working orders, cancels -------------------------------------------------------------


def test_a_bracket_works_only_its_entry_as_a_limit_or_at_market() -> None:
    exits = dict(order_type=OrderType.BRACKET, take_profit_price=D("110"), stop_loss_price=D("90"))
    assert kinds(BROKER.submit(order(limit_price=D("99.00"), **exits), quote(), NOW)) == [EventKind.ACCEPTED]
    assert kinds(BROKER.submit(order(limit_price=D("99.00"), **exits), None, NOW)) == [EventKind.ACCEPTED]
    assert fills(BROKER.submit(order(**exits), quote(), NOW)) == [(D(100), D("100.01"))]
    assert kinds(BROKER.submit(order(**exits), None, NOW)) == [EventKind.REJECTED]


def test_on_quote_works_open_orders_on_the_quoted_symbol_oldest_first_sharing_the_book() -> None:
    newer = working(id="NEW", quantity="50")
    older = working(id="OLD", quantity="50", age=10)
    other_symbol = working(id="BTC", symbol="BTC-USD", quantity="1")
    done = order(id="DONE", status=OrderStatus.FILLED, filled="100")
    events = BROKER.on_quote([newer, other_symbol, done, older], quote(ask_size="60"), NOW)
    assert [(e.order_id, e.fill.quantity if e.fill else None) for e in events] == [("OLD", D(50)), ("NEW", D(10))]


def test_cancelling_an_open_order_emits_cancelled_by_request() -> None:
    events = BROKER.cancel(working(order_type=OrderType.LIMIT, limit_price=D("90")), NOW)
    assert kinds(events) == [EventKind.CANCELLED]
    assert events[0].reason == "cancelled by request"


@pytest.mark.parametrize(
    "status", [OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED]
)
def test_cancelling_a_final_order_emits_nothing(status: OrderStatus) -> None:
    assert BROKER.cancel(order(status=status), NOW) == []


def test_events_follow_the_order_state_machine_when_applied_in_order() -> None:
    placed = order(time_in_force=TimeInForce.IOC)
    for event in BROKER.submit(placed, quote(ask_size="40"), NOW):
        if event.fill is not None:
            placed.record_fill(event.fill.quantity, event.fill.price, event.time)
        else:
            placed.transition(OrderStatus(event.kind.value), event.time, event.reason)
    assert (placed.status, placed.filled_quantity) == (OrderStatus.CANCELLED, D(40))
