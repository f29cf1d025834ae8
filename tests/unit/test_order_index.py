"""The in-memory resting-order index: each working order sits where the market first reaches it, so a quote
finds the orders it can trigger, fill or move, and never leaves out one the paper broker would act on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from core.instruments import AssetClass, Instrument, InstrumentCatalog
from core.market import Quote
from core.order_index import OrderIndex
from core.orders import Order, OrderChange, OrderStatus, OrderType, Side
from infra.brokers.paper import PaperBroker

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CATALOG = InstrumentCatalog([
    Instrument(symbol="AAPL", asset_class=AssetClass.EQUITY, tick_size=D("0.01"), lot_size=D(1)),
    Instrument(symbol="BTC-USD", asset_class=AssetClass.CRYPTO, tick_size=D("0.01"), lot_size=D("0.00001")),
])


def resting(order_id: str, side: str, order_type: str, symbol: str = "AAPL", **fields) -> Order:
    status = OrderStatus.PARTIALLY_FILLED if fields.get("filled_quantity") else OrderStatus.ACCEPTED
    return Order(id=order_id, account_id="acc", symbol=symbol, side=Side(side), quantity=D(10),
                 order_type=OrderType(order_type), status=status, created_at=NOW, updated_at=NOW, **fields)


def quote(bid: str, ask: str, last: str | None = None, symbol: str = "AAPL") -> Quote:
    return Quote(symbol=symbol, bid=D(bid), ask=D(ask), last=D(last) if last else None, time=NOW)


def ids(orders: list[Order]) -> list[str]:
    return sorted(o.id for o in orders)


def loaded(*orders: Order) -> OrderIndex:
    index = OrderIndex(CATALOG)
    index.load("AAPL", list(orders))
    return index


def test_each_kind_of_resting_order_is_found_only_by_a_quote_that_reaches_its_price() -> None:
    index = loaded(
        resting("buy-limit", "buy", "limit", limit_price=D("95")),
        resting("sell-limit", "sell", "limit", limit_price=D("105")),
        resting("buy-stop", "buy", "stop", stop_price=D("106")),
        resting("sell-stop", "sell", "stop", stop_price=D("94")),
        resting("sell-tp", "sell", "take_profit", take_profit_price=D("107")),
        resting("buy-tp", "buy", "take_profit", take_profit_price=D("93")),
        resting("stop-limit", "sell", "stop_limit", stop_price=D("92"), limit_price=D("91")),
        resting("bracket", "buy", "bracket", limit_price=D("96"), take_profit_price=D("120"), stop_loss_price=D("90")),
    )
    assert index.candidates(quote("99.99", "100.01")) == []
    assert ids(index.candidates(quote("94.99", "95.00"))) == ["bracket", "buy-limit"]
    assert ids(index.candidates(quote("93.90", "94.00"))) == ["bracket", "buy-limit", "sell-stop"]
    assert ids(index.candidates(quote("92.99", "93.00"))) == ["bracket", "buy-limit", "buy-tp", "sell-stop"]
    assert ids(index.candidates(quote("91.99", "92.00"))) == ["bracket", "buy-limit", "buy-tp", "sell-stop",
                                                              "stop-limit"]
    assert ids(index.candidates(quote("105.00", "105.02"))) == ["sell-limit"]
    assert ids(index.candidates(quote("107.00", "107.02"))) == ["buy-stop", "sell-limit", "sell-tp"]
    assert index.candidates(quote("1", "1000", symbol="BTC-USD")) == []


def test_the_last_trade_reaches_a_stop_between_the_bid_and_the_ask_of_a_wide_book() -> None:
    index = loaded(resting("sell-stop", "sell", "stop", stop_price=D("99")))
    assert index.candidates(quote("99.50", "100.50")) == []
    assert ids(index.candidates(quote("99.50", "100.50", last="99.00"))) == ["sell-stop"]


def test_a_trailing_stop_is_found_at_its_current_stop_and_when_the_market_passes_its_reference() -> None:
    index = loaded(resting("trail", "sell", "trailing_stop", trail_percent=D("2"), trail_reference=D("110.00")))
    assert index.candidates(quote("107.90", "107.92")) == []  # between the 107.80 stop and the 110.00 reference
    assert ids(index.candidates(quote("107.80", "107.82"))) == ["trail"]  # at the stop: it triggers
    assert ids(index.candidates(quote("110.00", "110.02"))) == ["trail"]  # past the reference: the trail moves
    index.update(resting("trail", "sell", "trailing_stop", trail_percent=D("2"), trail_reference=D("120.00"),
                         version=2))
    assert ids(index.candidates(quote("117.50", "117.52"))) == ["trail"]  # the stop moved up with it (117.60)


def test_orders_that_trade_on_any_quote_come_with_every_quote() -> None:
    index = loaded(
        resting("market-rest", "buy", "market", filled_quantity=D(4)),
        resting("hit-stop", "sell", "stop", stop_price=D("50"), triggered=True),
        resting("trail-unset", "sell", "trailing_stop", trail_amount=D("1")),
    )
    assert ids(index.candidates(quote("99.99", "100.01"))) == ["hit-stop", "market-rest", "trail-unset"]


def test_change_log_entries_move_orders_in_and_out_and_an_older_copy_never_replaces_a_newer_one() -> None:
    index = loaded()
    placed = resting("o1", "buy", "limit", limit_price=D("95"), version=1)
    moved = placed.model_copy(update={"limit_price": D("99"), "version": 2})
    index.apply([OrderChange(seq=1, order=placed, time=NOW), OrderChange(seq=2, order=moved, time=NOW)], NOW)
    assert index.cursors == {"AAPL": 2}
    assert ids(index.candidates(quote("98.99", "99.00"))) == ["o1"]
    index.update(placed)  # a late, older copy
    assert ids(index.candidates(quote("98.99", "99.00"))) == ["o1"]
    cancelled = moved.model_copy(update={"status": OrderStatus.CANCELLED, "version": 3})
    index.apply([OrderChange(seq=3, order=cancelled, time=NOW)], NOW)
    assert index.candidates(quote("1", "1.01")) == []
    assert len(index) == 0


def test_an_entry_for_a_symbol_not_loaded_yet_is_kept_for_its_load() -> None:
    index = OrderIndex(CATALOG)
    placed = resting("o1", "buy", "limit", symbol="BTC-USD", limit_price=D("60000"), version=1)
    index.apply([OrderChange(seq=7, order=placed, time=NOW)], NOW)
    index.load("BTC-USD", [])  # a load whose read lagged the log
    assert ids(index.candidates(quote("59999", "60000", symbol="BTC-USD"))) == ["o1"]


def _random_order(rng: random.Random, n: int) -> Order:
    kind = rng.choice(list(OrderType))
    side = rng.choice(["buy", "sell"])
    price = lambda: D(rng.randint(9000, 11000)) / 100  # noqa: E731
    fields: dict = {}
    if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) or (kind is OrderType.BRACKET and rng.random() < 0.7):
        fields["limit_price"] = price()
    if kind in (OrderType.STOP, OrderType.STOP_LIMIT):
        fields["stop_price"] = price()
    if kind is OrderType.TAKE_PROFIT:
        fields["take_profit_price"] = price()
    if kind is OrderType.BRACKET:
        fields |= {"take_profit_price": D(200), "stop_loss_price": D(1)} if side == "buy" else {
            "take_profit_price": D(1), "stop_loss_price": D(200)}
    if kind is OrderType.TRAILING_STOP:
        fields["trail_percent" if rng.random() < 0.5 else "trail_amount"] = D(rng.randint(1, 300)) / 100
        fields["trail_reference"] = price() if rng.random() < 0.9 else None
    if kind in (OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP) and rng.random() < 0.2:
        fields["triggered"] = True
    if rng.random() < 0.1:
        fields["filled_quantity"] = D(rng.randint(1, 9))
    return resting(f"o{n}", side, kind.value, symbol=rng.choice(["AAPL", "BTC-USD"]), **fields)


def test_the_index_never_leaves_out_an_order_the_paper_broker_would_trade_trigger_or_move() -> None:
    rng = random.Random(17)
    broker = PaperBroker(instruments=CATALOG)
    orders = []
    for n in range(600):
        try:
            orders.append(_random_order(rng, n))
        except ValueError:  # a combination an order request refuses
            continue
    index = OrderIndex(CATALOG)
    for symbol in ("AAPL", "BTC-USD"):
        index.load(symbol, [o for o in orders if o.symbol == symbol])
    acted_on = found = 0
    for _ in range(400):
        symbol = rng.choice(["AAPL", "BTC-USD"])
        bid = D(rng.randint(9000, 11000)) / 100
        ask = bid + D(rng.randint(1, 50)) / 100
        last = bid + D(rng.randint(-30, 80)) / 100 if rng.random() < 0.5 else None
        tick = Quote(symbol=symbol, bid=bid, ask=ask, last=last, time=NOW + timedelta(seconds=1))
        on_symbol = [o for o in orders if o.symbol == symbol]
        touched = {event.order_id for event in broker.on_quote(on_symbol, tick, NOW)}
        candidates = {o.id for o in index.candidates(tick)}
        assert touched <= candidates, (tick, touched - candidates)
        acted_on += len(touched)
        found += len(candidates)
    assert acted_on > 1000 and found <= acted_on * 1.1  # it acted a lot, and the index found little more
