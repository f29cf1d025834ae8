"""Closing with a price, fractions in words, close all, modify, fills, what-if and questions about money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.grammar import intent_json, parse
from agent.intents import Clarify, WhatIf
from core.orders import OrderRequest


def close(symbol: str, quantity: str | None = None, fraction: str | None = None, order_type: str = "market",
          **prices: str) -> dict:
    empty = {"limit_price": None, "stop_price": None, "trail_amount": None, "trail_percent": None}
    return {"intent": "close_position", "symbol": symbol, "quantity": quantity, "fraction": fraction,
            "order_type": order_type, **empty, **prices}


def modify(order_id: str, **changes: str) -> dict:
    empty = {"quantity": None, "limit_price": None, "stop_price": None, "trail_amount": None, "trail_percent": None}
    return {"intent": "modify_order", "order_id": order_id, **empty, **changes}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("set a stop on my AAPL at 185", close("AAPL", order_type="stop", stop_price="185")),
        ("stop loss on TSLA at 240", close("TSLA", order_type="stop", stop_price="240")),
        ("put a stop on crude at 76.50", close("CL", order_type="stop", stop_price="76.50")),
        ("take profit on AAPL at 200", close("AAPL", order_type="limit", limit_price="200")),
        ("trail my NVDA by 5%", close("NVDA", order_type="trailing_stop", trail_percent="5")),
        ("trail my TSLA by 10", close("TSLA", order_type="trailing_stop", trail_amount="10")),
        ("trail my ether by 4 percent", close("ETH-USD", order_type="trailing_stop", trail_percent="4")),
        ("take profit on half my AAPL at 200", close("AAPL", fraction="0.5", order_type="limit", limit_price="200")),
        ("take profit on 5 AAPL at 200", close("AAPL", quantity="5", order_type="limit", limit_price="200")),
        ("close AAPL @ 200", close("AAPL", order_type="limit", limit_price="200")),
        ("close half CL @ 80", close("CL", fraction="0.5", order_type="limit", limit_price="80")),
        ("close AAPL stop 185", close("AAPL", order_type="stop", stop_price="185")),
        ("close TSLA trail 5%", close("TSLA", order_type="trailing_stop", trail_percent="5")),
        ("close AAPL at market", close("AAPL")),
    ],
)
def test_a_protective_order_or_a_close_at_a_price_closes_the_position_with_that_order(text, expected) -> None:
    assert intent_json(parse(text)) == expected


def test_take_profits_without_a_price_closes_at_market() -> None:
    assert intent_json(parse("take profits on half my CL")) == close("CL", fraction="0.5")


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("close half CL", "0.5"), ("close a quarter of CL", "0.25"), ("close 25% of CL", "0.25"),
     ("close 1/2 CL", "0.5"), ("sell half my CL", "0.5"), ("sell a quarter of my CL", "0.25"),
     ("dump half my crude", "0.5"), ("exit half CL", "0.5")],
)  # fmt: skip
def test_fractions_in_words_and_percent(text: str, fraction: str) -> None:
    assert intent_json(parse(text)) == close("CL", fraction=fraction)


def test_a_third_is_one_third_exactly_as_decimal_division_gives_it() -> None:
    assert parse("close a third of NG").fraction == Decimal(1) / Decimal(3)


@pytest.mark.parametrize(
    "text",
    ["sell my AAPL", "sell all my AAPL", "get out of my apple", "get me out of AAPL", "close out my AAPL",
     "close my whole apple position", "flatten my AAPL", "liquidate my AAPL", "cover my AAPL short"],
)  # fmt: skip
def test_everyday_ways_to_close_a_whole_position(text: str) -> None:
    assert intent_json(parse(text)) == close("AAPL")


def test_sell_with_a_quantity_stays_an_order_even_for_a_ticker_that_is_a_word() -> None:
    assert parse("sell 10 AAPL").intent == "place_order"
    assert parse("sell 10 ALL").intent == "place_order"


@pytest.mark.parametrize(
    "text",
    ["close all", "close all positions", "Close All.", "flatten everything", "flatten all", "close everything",
     "close all my positions", "exit all positions", "liquidate everything", "get me flat", "sell everything"],
)  # fmt: skip
def test_closing_everything(text: str) -> None:
    assert intent_json(parse(text)) == {"intent": "close_all"}


def test_close_all_with_a_symbol_still_closes_that_one_position() -> None:
    assert intent_json(parse("close all NG")) == close("NG")


@pytest.mark.parametrize(
    ("text", "question"),
    [("close", "which position"), ("close half", "which position"), ("set a stop on my AAPL", "what price"),
     ("stop loss at 185", "which position"), ("close AAPL at 200 and 205", "which one"),
     ("close half 3 CL", "how much"), ("close NG CL", "ng or cl")],
)  # fmt: skip
def test_a_close_that_is_not_clear_is_asked_about(text: str, question: str) -> None:
    intent = parse(text)
    assert isinstance(intent, Clarify)
    assert question in intent.question.lower()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("move order 7F3K2 to 191", modify("7F3K2", limit_price="191")),
        ("change order 7F3K2 quantity to 5", modify("7F3K2", quantity="5")),
        ("modify 7F3K2 limit 191.50", modify("7F3K2", limit_price="191.50")),
        ("amend order #7F3K2 stop 185", modify("7F3K2", stop_price="185")),
        ("move my stop on 7F3K2 to 186", modify("7F3K2", stop_price="186")),
        ("change order 7F3K2 to 5 shares", modify("7F3K2", quantity="5")),
        ("modify order 7F3K2 limit 191 qty 5", modify("7F3K2", quantity="5", limit_price="191")),
        ("change order 7f3k2 trail to 2%", modify("7F3K2", trail_percent="2")),
        ("change order 7F3K2 trail to 1.5", modify("7F3K2", trail_amount="1.5")),
    ],
)
def test_modifying_a_working_order(text: str, expected: dict) -> None:
    assert intent_json(parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "question"),
    [("change my limit to 191", "which order"), ("move order 7F3K2", "to what"),
     ("move order 7F3K2 to 191 and 192", "which one"), ("modify 7F3K2 to 1O", "'1o'")],
)  # fmt: skip
def test_a_modify_that_is_not_clear_is_asked_about(text: str, question: str) -> None:
    intent = parse(text)
    assert isinstance(intent, Clarify)
    assert question in intent.question.lower()


@pytest.mark.parametrize(
    "text",
    ["fills", "/fills", "show my fills", "my fills", "trade history", "my trades today", "show me my trade history",
     "executions", "what got filled", "what did I trade today"],
)  # fmt: skip
def test_asking_for_fills(text: str) -> None:
    assert intent_json(parse(text)) == {"intent": "fills"}


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("what if I buy 10 AAPL", "buy 10 AAPL"),
        ("what if I buy 10 AAPL?", "buy 10 AAPL"),
        ("what happens if I sell 2 CL @ 78.50", "sell 2 CL @ 78.50"),
        ("what would happen if I shorted 50 NVDA", "sell 50 NVDA"),
        ("what if I bought $1000 of apple", "buy $1000 of AAPL"),
        ("whatif buy 10 AAPL", "buy 10 AAPL"),
        ("simulate buy 10 AAPL @ 190", "buy 10 AAPL @ 190"),
        ("dry run buy 2 crude", "buy 2 CL"),
    ],
)
def test_a_what_if_carries_exactly_the_fields_of_the_order_it_asks_about(text: str, command: str) -> None:
    intent = parse(text)
    assert isinstance(intent, WhatIf)
    order = intent_json(parse(command))
    assert intent_json(intent) == {**order, "intent": "what_if"}
    assert isinstance(intent.to_order_request(), OrderRequest)


def test_the_what_if_fields_are_the_order_requests_fields() -> None:
    assert list(WhatIf.model_fields)[1:] == list(OrderRequest.model_fields)


@pytest.mark.parametrize(
    "text",
    ["how much cash do I have", "what's my buying power", "what did I make today", "buying power", "cash",
     "how much money do I have", "what's my balance", "how much did I make today", "how am I doing",
     "what's my p&l today", "how much am I up", "how much buying power is left"],
)  # fmt: skip
def test_questions_about_money_answer_from_the_portfolio(text: str) -> None:
    assert intent_json(parse(text)) == {"intent": "portfolio"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("what are my open orders", {"intent": "list_orders"}), ("any orders working?", {"intent": "list_orders"}),
     ("what do I own", {"intent": "positions"}), ("show me the risk limits", {"intent": "risk_status"}),
     ("any alerts?", {"intent": "list_alerts"}), ("how much is apple", {"intent": "quote", "symbol": "AAPL"}),
     ("what's TSLA trading at", {"intent": "quote", "symbol": "TSLA"}),
     ("where is crude", {"intent": "quote", "symbol": "CL"}), ("cancel every order I have", {"intent": "cancel_all"}),
     ("cancel my order 7F3K2", {"intent": "cancel_order", "order_id": "7F3K2"})],
)  # fmt: skip
def test_everyday_questions_about_the_book(text: str, expected: dict) -> None:
    assert intent_json(parse(text)) == expected


@pytest.mark.parametrize("text", ["what's up", "whats bitcoin doing", "how close am I to my loss limit", "hello"])
def test_a_question_that_names_no_one_topic_stays_unknown(text: str) -> None:
    assert parse(text).intent == "unknown"
