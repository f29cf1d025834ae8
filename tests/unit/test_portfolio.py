"""Positions booked from fills (average price, realised P&L, multipliers, cash) and the portfolio view."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.instruments import InstrumentCatalog
from core.market import Quote
from core.orders import Fill, Side
from core.portfolio import Position, apply_fill, build_portfolio

D = Decimal
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CATALOG = InstrumentCatalog.default()
AAPL = CATALOG.get("AAPL")
CL = CATALOG.get("CL")
INSTRUMENTS = {i.symbol: i for i in CATALOG}
_fill_ids = itertools.count(1)


def flat(symbol: str = "AAPL") -> Position:
    return Position(account_id="acc-1", symbol=symbol, updated_at=T0)


def fill(side: str, quantity: str, price: str, symbol: str = "AAPL", fill_id: str | None = None) -> Fill:
    number = next(_fill_ids)
    return Fill(
        id=fill_id or f"F{number}", order_id=f"O{number}", account_id="acc-1", symbol=symbol,
        side=Side(side), quantity=D(quantity), price=D(price), time=T0 + timedelta(seconds=number),
    )


def book(position: Position, *fills: Fill) -> list[Decimal]:
    instrument = CATALOG.get(position.symbol)
    return [apply_fill(position, f, instrument) for f in fills]


# -- apply_fill -----------------------------------------------------------------------------------


def test_a_buy_on_a_flat_position_opens_a_long_at_the_fill_price():
    position = flat()
    opening = fill("buy", "10", "100.00")
    assert book(position, opening) == [0]
    assert (position.quantity, position.average_price, position.realised_pnl) == (D(10), D("100.00"), 0)
    assert position.updated_at == opening.time
    assert not position.is_flat


def test_a_sell_on_a_flat_position_opens_a_short_at_the_fill_price():
    position = flat()
    book(position, fill("sell", "10", "50.00"))
    assert (position.quantity, position.average_price) == (D(-10), D("50.00"))


def test_adding_to_a_long_averages_the_price():
    position = flat()
    book(position, fill("buy", "10", "100.00"), fill("buy", "30", "104.00"))
    assert position.quantity == D(40)
    assert position.average_price == D("103.00")  # (1,000 + 3,120) / 40
    assert position.realised_pnl == 0


def test_adding_to_a_short_averages_the_price():
    position = flat()
    book(position, fill("sell", "10", "50.00"), fill("sell", "10", "52.00"))
    assert (position.quantity, position.average_price) == (D(-20), D("51.00"))


def test_a_partial_close_of_a_long_realises_pnl_and_keeps_the_average():
    position = flat()
    realised = book(position, fill("buy", "10", "100.00"), fill("sell", "4", "112.50"))
    assert realised == [0, D("50.00")]
    assert (position.quantity, position.average_price, position.realised_pnl) == (D(6), D("100.00"), D("50.00"))


def test_a_partial_close_of_a_short_realises_pnl_the_other_way():
    position = flat()
    realised = book(position, fill("sell", "10", "50.00"), fill("buy", "4", "45.00"))
    assert realised[1] == D("20.00")
    assert (position.quantity, position.average_price) == (D(-6), D("50.00"))


def test_a_losing_close_realises_a_negative_pnl():
    position = flat()
    realised = book(position, fill("buy", "10", "100.00"), fill("sell", "10", "95.00"))
    assert realised[1] == D("-50.00")
    assert position.realised_pnl == D("-50.00")


def test_a_full_close_flattens_the_position_and_zeroes_the_average():
    position = flat()
    book(position, fill("buy", "10", "100.00"), fill("buy", "10", "110.00"), fill("sell", "20", "120.00"))
    assert position.is_flat
    assert position.quantity == 0
    assert position.average_price == 0
    assert position.realised_pnl == D("300.00")  # (120 - 105) * 20


def test_a_fill_through_zero_flips_the_position_at_the_fill_price_realising_only_the_closed_part():
    position = flat()
    realised = book(position, fill("buy", "10", "100.00"), fill("sell", "15", "110.00"))
    assert realised[1] == D("100.00")  # 10 closed at +10; the 5 opened realise nothing
    assert (position.quantity, position.average_price) == (D(-5), D("110.00"))
    realised = book(position, fill("buy", "8", "100.00"))
    assert realised == [D("50.00")]  # short 5 closed at +10, long 3 opened at 100
    assert (position.quantity, position.average_price, position.realised_pnl) == (D(3), D("100.00"), D("150.00"))


def test_a_futures_pnl_is_scaled_by_the_contract_multiplier():
    position = flat("CL")
    realised = book(position, fill("buy", "2", "70.00", "CL"), fill("sell", "2", "71.50", "CL"))
    assert CL.multiplier == 1000
    assert realised == [0, D("3000.00")]
    assert position.realised_pnl == D("3000.00")
    assert position.is_flat


def test_a_cash_settled_fill_moves_the_whole_notional_in_cash():
    position = flat()
    book(position, fill("buy", "10", "100.00"))
    assert position.cash_flow == D("-1000.00")
    book(position, fill("sell", "10", "101.50"))
    assert position.cash_flow == D("15.00")
    assert position.cash_flow == position.realised_pnl


def test_a_futures_fill_moves_only_its_realised_pnl_in_cash():
    position = flat("CL")
    book(position, fill("buy", "2", "70.00", "CL"))
    assert position.cash_flow == 0
    book(position, fill("sell", "1", "69.00", "CL"))
    assert position.cash_flow == D("-1000.00")
    book(position, fill("sell", "1", "71.50", "CL"))
    assert position.cash_flow == D("500.00")


def test_realised_today_counts_only_the_fills_of_the_current_utc_day():
    position = flat()
    book(position, fill("buy", "10", "100.00"), fill("sell", "4", "105.00"))
    assert position.realised_on(T0.date()) == D("20.00")
    next_day = fill("sell", "2", "110.00")
    next_day = next_day.model_copy(update={"time": T0 + timedelta(days=1)})
    book(position, next_day)
    assert position.realised_on((T0 + timedelta(days=1)).date()) == D("20.00")
    assert position.realised_on(T0.date()) == D(0)  # the day rolled over: yesterday's figure is gone
    assert position.realised_pnl == D("40.00")


def test_unrealised_pnl_is_signed_and_multiplier_aware():
    long_cl = flat("CL")
    book(long_cl, fill("buy", "2", "70.00", "CL"))
    assert long_cl.unrealised_pnl(D("70.25"), CL) == D("500.00")
    short = flat()
    book(short, fill("sell", "10", "50.00"))
    assert short.unrealised_pnl(D("48.00"), AAPL) == D("20.00")


NO_FUNDS = {"buying_power": D(0), "margin_used": D(0), "day_pnl": D(0)}


# -- build_portfolio ------------------------------------------------------------------------------


@pytest.fixture
def mixed_book() -> list[Position]:
    """Long 10 AAPL at 100 (cash -1,000), long 2 CL at 70 (no cash), a closed MSFT trade that made 50."""
    aapl, cl, msft = flat("AAPL"), flat("CL"), flat("MSFT")
    book(aapl, fill("buy", "10", "100.00"))
    book(cl, fill("buy", "2", "70.00", "CL"))
    book(msft, fill("buy", "5", "400.00", "MSFT"), fill("sell", "5", "410.00", "MSFT"))
    return [aapl, cl, msft]


def quote(symbol: str, bid: str, ask: str, last: str | None = None) -> Quote:
    return Quote(symbol=symbol, bid=D(bid), ask=D(ask), last=D(last) if last else None, time=T0)


def test_a_mixed_book_with_quotes_values_equities_at_market_and_futures_at_their_pnl(mixed_book):
    quotes = {"AAPL": quote("AAPL", "109.99", "110.01", last="110.00"), "CL": quote("CL", "70.99", "71.01")}
    view = build_portfolio("acc-1", "USD", D("100000"), mixed_book, INSTRUMENTS, quotes, **NO_FUNDS)
    assert view.cash == D("99050.00")  # 100,000 - 1,000 (AAPL) + 50 (MSFT round trip)
    assert view.unrealised_pnl == D("2100.00")  # AAPL +100, CL (71.00 mid - 70) * 2 * 1,000
    assert view.equity == D("102150.00")  # cash + AAPL market value 1,100 + CL P&L 2,000
    assert view.gross_exposure == D("143100.00")  # 1,100 + 71 * 2 * 1,000
    assert view.realised_pnl == D("50.00")
    by_symbol = {p.symbol: p for p in view.positions}
    assert set(by_symbol) == {"AAPL", "CL", "MSFT"}
    assert by_symbol["AAPL"].mark_price == D("110.00")
    assert by_symbol["CL"].mark_price == D("71.00")
    assert by_symbol["CL"].market_value == D("142000.00")
    assert by_symbol["CL"].multiplier == 1000


def test_a_mixed_book_without_quotes_holds_equities_at_cost_and_futures_at_zero(mixed_book):
    view = build_portfolio("acc-1", "USD", D("100000"), mixed_book, INSTRUMENTS, {}, **NO_FUNDS)
    assert view.cash == D("99050.00")
    assert view.unrealised_pnl == 0
    assert view.equity == D("100050.00")  # cash + AAPL at cost 1,000
    assert view.gross_exposure == D("141000.00")  # 10 * 100 + 2 * 70 * 1,000 at average price
    by_symbol = {p.symbol: p for p in view.positions}
    assert by_symbol["AAPL"].mark_price is None
    assert by_symbol["AAPL"].unrealised_pnl is None
    assert by_symbol["AAPL"].market_value is None


def test_a_flat_position_that_never_realised_anything_is_left_out_of_the_view():
    untouched = flat("MSFT")
    held = flat("AAPL")
    book(held, fill("buy", "1", "100.00"))
    view = build_portfolio("acc-1", "USD", D("1000"), [untouched, held], INSTRUMENTS, {}, **NO_FUNDS)
    assert [p.symbol for p in view.positions] == ["AAPL"]


def test_an_empty_book_is_all_cash():
    view = build_portfolio("acc-1", "USD", D("250000"), [], INSTRUMENTS, {}, **NO_FUNDS)
    assert (view.cash, view.equity, view.gross_exposure, view.realised_pnl, view.unrealised_pnl) == (
        D("250000"), D("250000"), 0, 0, 0,
    )
    assert view.positions == []
    assert (view.account_id, view.currency) == ("acc-1", "USD")


def test_a_short_equity_adds_its_sale_to_cash_and_counts_its_exposure_unsigned():
    short = flat("AAPL")
    book(short, fill("sell", "10", "100.00"))
    quotes = {"AAPL": quote("AAPL", "89.99", "90.01")}
    view = build_portfolio("acc-1", "USD", D("0"), [short], INSTRUMENTS, quotes, **NO_FUNDS)
    assert view.cash == D("1000.00")
    assert view.equity == D("100.00")  # 1,000 cash - 900 to buy back
    assert view.gross_exposure == D("900.00")
    assert view.unrealised_pnl == D("100.00")
