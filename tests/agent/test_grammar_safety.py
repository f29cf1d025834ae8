"""Never a wrong order: what is not a clear instruction is never an order intent; it gets a question back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.evaluation import ORDER_INTENTS
from agent.grammar import parse
from agent.intents import Clarify

SYMBOLS = ["AAPL", "TSLA", "CL", "NG", "BTC-USD", "crude", "apple", "nat gas"]
orders = st.builds(
    lambda side, quantity, symbol, price: f"{side} {quantity} {symbol}" + (f" @ {price}" if price else ""),
    st.sampled_from(["buy", "sell", "short", "close"]),
    st.integers(min_value=1, max_value=5000),
    st.sampled_from(SYMBOLS),
    st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal(9999), places=2)),
)


def asks(text: str) -> Clarify:
    intent = parse(text)
    assert isinstance(intent, Clarify), f"{text!r} read as {intent!r}"
    assert intent.question.endswith(("?", ".", "`.")) and "?" in intent.question
    return intent


@pytest.mark.parametrize(
    "text",
    ["don't buy 10 AAPL", "dont buy 10 AAPL", "do not sell 5 CL", "never sell my TSLA", "don't close NG",
     "I don't want to buy 10 AAPL", "I won't buy 10 AAPL", "no, don't buy 10 AAPL", "buy 10 AAPL, no wait, don't",
     "dont close all", "don't flatten everything", "what if I don't buy 10 AAPL"],
)  # fmt: skip
def test_a_negation_is_never_an_order(text: str) -> None:
    asks(text)


@pytest.mark.parametrize(
    "text",
    ["should I buy 10 AAPL?", "should I buy 10 AAPL", "buy 10 AAPL?", "sell 2 CL @ 78.50?", "close NG?", "close all?",
     "is it a good time to buy 10 AAPL?", "would you buy 10 AAPL here", "can I buy 10 AAPL?",
     "is buying 10 AAPL a good idea", "should I flatten everything", "can you buy 10 AAPL?"],
)  # fmt: skip
def test_a_question_is_never_an_order(text: str) -> None:
    asks(text)


@pytest.mark.parametrize(
    "text",
    ["I bought 10 AAPL yesterday", "bought 10 AAPL", "I sold 5 CL this morning", "sold 2 CL @ 78.50",
     "we bought 100 TSLA last week", "I shorted 50 NVDA", "I closed my NG position", "he bought 10 AAPL"],
)  # fmt: skip
def test_the_past_tense_is_never_an_order(text: str) -> None:
    asks(text)


@pytest.mark.parametrize(
    "text",
    ["buy 10 AAPL and sell 5 TSLA", "buy 10 AAPL, sell 5 TSLA", "buy 10 AAPL sell 5 TSLA", "buy 10 AAPL\nsell 5 TSLA",
     "buy 10 AAPL then buy 10 MSFT", "sell 2 CL and close NG", "buy 10 AAPL and 5 MSFT", "buy 10 AAPL and TSLA",
     "buy 10 AAPL or MSFT", "close NG CL", "close NG and CL", "what if I buy 10 AAPL and sell 5 TSLA"],
)  # fmt: skip
def test_two_orders_or_two_instruments_in_one_message_are_never_an_order(text: str) -> None:
    asks(text)


@pytest.mark.parametrize(
    "text",
    ["buy 10 AAPL @ 190 @ 191", "buy 10 AAPL at 190 or 191", "buy 10 AAPL @ 190 191", "sell 2 CL @ 78.50 78.60",
     "buy 10 AAPL stop 190 stop 191", "buy 10 AAPL @ 190-191", "buy 10 AAPL 190", "buy 10 AAPL @ market 190",
     "buy 10 AAPL mkt @ 190", "buy 10 or 20 AAPL", "buy 10-20 AAPL", "buy 10 AAPL gtc ioc"],
)  # fmt: skip
def test_two_prices_or_two_quantities_where_one_is_expected_are_never_an_order(text: str) -> None:
    asks(text)


@pytest.mark.parametrize(
    "text",
    ["buy AAPL", "buy some AAPL", "buy a few AAPL", "sell crude", "buy 10", "sell 5 @ 78", "buy $1000 of", "buy",
     "10 AAPL", "close"],
)  # fmt: skip
def test_a_missing_quantity_symbol_or_side_is_asked_for(text: str) -> None:
    asks(text)


@pytest.mark.parametrize(
    "text",
    ["buy 1O AAPL", "buy l0 AAPL", "buy 10O AAPL", "sell 5O CL", "buy 10 AAPL @ 19O", "buy 1,OOO AAPL",
     "buy O.5 BTC-USD", "close 1O AAPL", "buy 10 AAPL @ 1S0", "set a stop on AAPL at 18S"],
)  # fmt: skip
def test_digits_with_letters_in_them_are_asked_about_never_read_as_a_number(text: str) -> None:
    assert "letter" in asks(text).question


def test_the_question_names_what_was_unclear() -> None:
    assert "190 and 191" in asks("buy 10 AAPL @ 190 @ 191").question
    assert "How many AAPL?" in asks("buy AAPL").question
    assert "Buy or sell 10 AAPL?" in asks("10 AAPL").question


@given(orders, st.sampled_from(["don't", "do not", "never", "I don't want to", "no,"]))
def test_any_order_with_a_negation_before_it_is_never_an_order(order: str, negation: str) -> None:
    assert parse(f"{negation} {order}").intent not in ORDER_INTENTS


@given(orders, st.sampled_from(["should I", "shall I", "would you", "is it wise to", "why did you", "can I"]))
def test_any_order_asked_as_a_question_is_never_an_order(order: str, opening: str) -> None:
    assert parse(f"{opening} {order}").intent not in ORDER_INTENTS
    assert parse(f"{order}?").intent not in ORDER_INTENTS


@given(orders, orders, st.sampled_from([" and ", ", ", " then ", "\n", "; ", " "]))
def test_any_two_orders_in_one_message_are_never_an_order(first: str, second: str, joint: str) -> None:
    assert parse(first + joint + second).intent not in ORDER_INTENTS


@given(st.sampled_from(["buy", "sell"]), st.integers(min_value=10, max_value=99999), st.sampled_from(SYMBOLS),
       st.data())
def test_a_quantity_with_a_lookalike_letter_in_it_is_never_an_order(side, quantity, symbol, data) -> None:
    digits = str(quantity)
    at = data.draw(st.sampled_from([i for i, c in enumerate(digits) if c in "015"] or [0]))
    letter = {"0": "O", "1": "l", "5": "S"}.get(digits[at], "O")
    typo = digits[:at] + letter + digits[at + 1 :]
    assert parse(f"{side} {typo} {symbol}").intent not in ORDER_INTENTS
