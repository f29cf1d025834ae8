"""The grammar reads the words traders use: instrument names, dollar amounts, order words, time in force in
words, polite wrapping and spelt-out quantities, each to the same intent as the terse command."""

from __future__ import annotations

import pytest

from agent.grammar import intent_json, parse
from agent.intents import Clarify, PlaceOrder


def same(text: str, command: str) -> None:
    assert intent_json(parse(text)) == intent_json(parse(command))
    assert parse(command).intent != "unknown"


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("buy 10 apple", "AAPL"), ("sell 5 Microsoft", "MSFT"), ("buy 2 crude", "CL"), ("buy 2 WTI", "CL"),
        ("buy 2 oil", "CL"), ("buy 2 crude oil", "CL"), ("buy 1 brent", "BZ"), ("buy 4 natgas", "NG"),
        ("buy 4 nat gas", "NG"), ("buy 4 natural gas", "NG"), ("buy 1 gasoline", "RB"), ("buy 1 rbob", "RB"),
        ("buy 1 heating oil", "HO"), ("buy 1 ulsd", "HO"), ("buy 1 diesel", "HO"), ("buy 1 bitcoin", "BTC-USD"),
        ("buy 1 btc", "BTC-USD"), ("buy 1 ether", "ETH-USD"), ("buy 1 eth", "ETH-USD"), ("buy 1 ethereum", "ETH-USD"),
    ],
)  # fmt: skip
def test_instruments_by_name_and_nickname_become_the_catalog_symbol(text: str, symbol: str) -> None:
    assert intent_json(parse(text))["symbol"] == symbol


def test_names_work_wherever_a_symbol_does() -> None:
    same("buy 2 contracts of crude @ 78.50 gtc", "buy 2 CL @ 78.50 gtc")
    same("quote nat gas", "quote NG")
    same("alert heating oil above 2.5", "alert HO above 2.5")
    same("close half my bitcoin", "close half BTC-USD")


def test_heating_oil_is_not_read_as_crude_the_longest_name_wins() -> None:
    assert intent_json(parse("sell 1 heating oil"))["symbol"] == "HO"


@pytest.mark.parametrize(
    ("text", "side", "symbol", "notional"),
    [
        ("buy $1000 of AAPL", "buy", "AAPL", "1000"), ("buy $2,500 worth of NVDA", "buy", "NVDA", "2500"),
        ("sell $500 of TSLA", "sell", "TSLA", "500"), ("buy $1k of bitcoin", "buy", "BTC-USD", "1000"),
        ("buy 1000 dollars of apple", "buy", "AAPL", "1000"), ("buy 1000 usd of MSFT", "buy", "MSFT", "1000"),
        ("buy AAPL $1000", "buy", "AAPL", "1000"), ("buy $100.50 of QQQ", "buy", "QQQ", "100.50"),
    ],
)  # fmt: skip
def test_an_amount_of_money_is_a_notional_order_with_no_quantity(text, side, symbol, notional) -> None:
    intent = parse(text)
    assert isinstance(intent, PlaceOrder)
    fields = intent_json(intent)
    assert (fields["side"], fields["symbol"], fields["notional"], fields["quantity"]) == (side, symbol, notional, None)
    assert fields["order_type"] == "market"
    assert intent.to_order_request().notional is not None


def test_without_a_dollar_sign_the_number_is_a_quantity() -> None:
    fields = intent_json(parse("buy 1000 of AAPL"))
    assert (fields["quantity"], fields["notional"]) == ("1000", None)


def test_a_dollar_price_is_still_a_price() -> None:
    fields = intent_json(parse("buy 10 AAPL @ $190.50"))
    assert (fields["quantity"], fields["limit_price"], fields["notional"]) == ("10", "190.50", None)


@pytest.mark.parametrize("text", ["buy $1000 of AAPL @ 190", "buy $1000 of AAPL limit 190", "sell $500 of TSLA stop 2"])
def test_a_notional_with_a_price_is_asked_about_because_notional_orders_are_market_orders(text: str) -> None:
    intent = parse(text)
    assert isinstance(intent, Clarify)
    assert "quantity" in intent.question


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("buy 10 AAPL at the market", "buy 10 AAPL mkt"),
        ("buy 10 AAPL lmt 190", "buy 10 AAPL @ 190"),
        ("buy 10 AAPL limit at 190", "buy 10 AAPL @ 190"),
        ("sell 5 NG stp 2.9", "sell 5 NG stop 2.9"),
        ("buy 10 AAPL @ 190 good till cancelled", "buy 10 AAPL @ 190 gtc"),
        ("buy 10 AAPL @ 190 good til canceled", "buy 10 AAPL @ 190 gtc"),
        ("buy 10 AAPL @ 190 good until cancelled", "buy 10 AAPL @ 190 gtc"),
        ("buy 10 AAPL @ 190 good-till-cancelled", "buy 10 AAPL @ 190 gtc"),
        ("buy 10 AAPL @ 190 GTC order", "buy 10 AAPL @ 190 gtc"),
        ("buy 10 AAPL @ 190 fill or kill", "buy 10 AAPL @ 190 fok"),
        ("buy 10 AAPL @ 190 fill-or-kill", "buy 10 AAPL @ 190 fok"),
        ("buy 10 AAPL @ 190 immediate or cancel", "buy 10 AAPL @ 190 ioc"),
        ("buy 10 AAPL @ 190 day order", "buy 10 AAPL @ 190 day"),
        ("buy 10 AAPL @ 190 good for the day", "buy 10 AAPL @ 190 day"),
        ("sell 100 TSLA trailing stop 3 percent", "sell 100 TSLA trail 3%"),
    ],
)
def test_order_words_and_time_in_force_in_words_read_as_the_terse_command(text: str, command: str) -> None:
    same(text, command)


@pytest.mark.parametrize(
    "text",
    [
        "please buy 10 AAPL", "buy 10 AAPL please", "pls buy 10 AAPL", "can you buy 10 AAPL", "could you buy 10 AAPL",
        "i want to buy 10 AAPL", "I'd like to buy 10 AAPL", "i would like to buy 10 AAPL", "let's buy 10 AAPL",
        "go ahead and buy 10 AAPL", "hey, buy 10 AAPL", "buy 10 AAPL thanks", "buy me 10 AAPL", "get me 10 AAPL",
        "grab 10 AAPL", "purchase 10 AAPL", "buy ten AAPL", "buy ten apple shares", "Buy 10 Apple, thanks!",
    ],
)  # fmt: skip
def test_polite_wrapping_and_everyday_verbs_read_as_the_plain_order(text: str) -> None:
    same(text, "buy 10 AAPL")


def test_spelt_out_quantities_are_single_words_only() -> None:
    assert intent_json(parse("buy twenty AAPL"))["quantity"] == "20"
    assert intent_json(parse("sell five crude"))["quantity"] == "5"
    assert parse("buy twenty five AAPL").intent != "place_order"  # never read as 20 (or 5)


def test_a_bare_ok_with_a_code_still_confirms() -> None:
    assert intent_json(parse("ok 4821")) == {"intent": "confirm", "code": "4821"}


def test_a_lowercase_word_that_names_no_instrument_is_asked_about_never_guessed_as_a_ticker() -> None:
    intent = parse("buy 10 appl")
    assert isinstance(intent, Clarify)
    assert "'appl'" in intent.question and "AAPL" in intent.question
    gas = parse("buy 10 gas")
    assert isinstance(gas, Clarify)


def test_a_ticker_typed_in_capitals_is_read_as_typed_even_outside_the_catalog() -> None:
    assert intent_json(parse("buy 10 X"))["symbol"] == "X"
    assert intent_json(parse("buy 10 NOW"))["symbol"] == "NOW"  # "now" in lower case is not a ticker
    assert intent_json(parse("sell 10 ALL"))["symbol"] == "ALL"
