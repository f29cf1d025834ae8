"""Chat wording of orders and positions: prices at the instrument's precision, every word once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal as D
from itertools import pairwise

from agent.replies import describe_order, order_done, orders_text, positions_text
from core.orders import Order, OrderStatus
from core.portfolio import PositionView

NOW = datetime(2026, 11, 28, 9, 15, tzinfo=UTC)


def order(**fields) -> Order:
    base = {"id": "7F3K2", "account_id": "alice", "symbol": "CL", "side": "sell", "quantity": D(1),
            "created_at": NOW, "updated_at": NOW, "status": OrderStatus.ACCEPTED}
    return Order(**(base | fields))


def doubled_words(text: str) -> list[str]:
    words = re.findall(r"\S+", text.lower())
    return [a for a, b in pairwise(words) if a == b]


def test_a_fill_is_told_at_the_instruments_precision_not_cut_to_cents() -> None:
    filled = order(symbol="RB", side="buy", status=OrderStatus.FILLED, filled_quantity=D(1),
                   average_price=D("2.0512"))
    assert order_done(filled) == "Done: BUY 1 RB filled at 2.0512 (order 7F3K2)."
    aapl = order(symbol="AAPL", side="buy", quantity=D(10), status=OrderStatus.FILLED, filled_quantity=D(10),
                 average_price=D("230.16"))
    assert order_done(aapl) == "Done: BUY 10 AAPL filled at 230.16 (order 7F3K2)."


def test_an_average_of_several_fills_is_rounded_to_the_tick_precision() -> None:
    partial = order(symbol="HO", side="buy", quantity=D(3), status=OrderStatus.PARTIALLY_FILLED,
                    filled_quantity=D(2), average_price=D("2.41235"), order_type="limit", limit_price=D("2.4200"))
    assert describe_order(partial) == "7F3K2 BUY 3 HO limit 2.4200: partially filled, 2 filled @ 2.4124"


def test_each_order_type_names_itself_once_with_all_its_prices() -> None:
    cases = [
        (order(order_type="stop", stop_price=D("65")), "7F3K2 SELL 1 CL stop 65.00: accepted"),
        (order(order_type="stop_limit", stop_price=D("65.00"), limit_price=D("64.90")),
         "7F3K2 SELL 1 CL stop 65.00 limit 64.90: accepted"),
        (order(order_type="limit", limit_price=D("78.5")), "7F3K2 SELL 1 CL limit 78.50: accepted"),
        (order(order_type="trailing_stop", trail_percent=D("2")), "7F3K2 SELL 1 CL trailing stop 2%: accepted"),
        (order(order_type="trailing_stop", trail_amount=D("1.5")), "7F3K2 SELL 1 CL trailing stop 1.50: accepted"),
        (order(order_type="take_profit", take_profit_price=D("80")), "7F3K2 SELL 1 CL take profit 80.00: accepted"),
        (order(symbol="BTC-USD", side="buy", quantity=D("0.5"), order_type="stop_limit", stop_price=D("65000"),
               limit_price=D("65100")), "7F3K2 BUY 0.5 BTC-USD stop 65,000.00 limit 65,100.00: accepted"),
    ]
    for placed, text in cases:
        assert describe_order(placed) == text
        assert doubled_words(text) == []
    listing = orders_text([placed for placed, _ in cases])
    assert listing.startswith("Working orders:\n") and doubled_words(listing) == []


def test_positions_show_entry_and_mark_at_the_instruments_precision() -> None:
    rb = PositionView(symbol="RB", quantity=D(1), average_price=D("2.05125"), mark_price=D("2.0612"),
                      market_value=D("86570.40"), unrealised_pnl=D("418.95"), realised_pnl=D(0),
                      multiplier=D(42000), currency="USD")
    assert positions_text([rb]) == "Positions:\nRB 1 @ 2.0512, mark 2.0612, unrealised 418.95 USD"


def test_quantities_read_as_a_trader_writes_them_whatever_their_stored_places() -> None:
    btc = PositionView(symbol="BTC-USD", quantity=D("0.01000"), average_price=D("94926.47"), mark_price=None,
                       market_value=None, unrealised_pnl=None, realised_pnl=D(0), multiplier=D(1), currency="USD")
    assert positions_text([btc]).startswith("Positions:\nBTC-USD 0.01 @ 94,926.47, mark -,")
    lots = order(symbol="CL", quantity=D("1000"), status=OrderStatus.FILLED, filled_quantity=D("1000.0"),
                 average_price=D("70.02"))
    assert order_done(lots) == "Done: SELL 1,000 CL filled at 70.02 (order 7F3K2)."
