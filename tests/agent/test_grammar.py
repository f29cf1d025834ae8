"""The command grammar: exact examples, every intent, the labelled utterances, speed and import weight."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.grammar import intent_json, parse
from agent.intents import PlaceOrder, Unknown
from core.orders import OrderRequest

REPO = Path(__file__).resolve().parents[2]

NO_PRICES: dict[str, Any] = {
    "limit_price": None,
    "stop_price": None,
    "trail_amount": None,
    "trail_percent": None,
    "take_profit_price": None,
    "stop_loss_price": None,
}


def order(side: str, symbol: str, quantity: str, order_type: str, tif: str = "day", **prices: str) -> dict:
    fields = {"intent": "place_order", "side": side, "symbol": symbol, "quantity": quantity}
    return {**fields, "order_type": order_type, **NO_PRICES, **prices, "time_in_force": tif, "notional": None}


def close(symbol: str, quantity: str | None = None, fraction: str | None = None, order_type: str = "market",
          **prices: str) -> dict:
    fields = {"intent": "close_position", "symbol": symbol, "quantity": quantity, "fraction": fraction}
    empty = {"limit_price": None, "stop_price": None, "trail_amount": None, "trail_percent": None}
    return {**fields, "order_type": order_type, **empty, **prices}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("buy 10 AAPL", order("buy", "AAPL", "10", "market")),
        ("sell 2 CL @ 78.50 gtc", order("sell", "CL", "2", "limit", "gtc", limit_price="78.50")),
        (
            "buy 1 BTC-USD stop 65000 limit 65100",
            order("buy", "BTC-USD", "1", "stop_limit", stop_price="65000", limit_price="65100"),
        ),
        ("sell 100 TSLA trail 2%", order("sell", "TSLA", "100", "trailing_stop", trail_percent="2")),
        (
            "buy 10 AAPL @ 190 tp 200 sl 185",
            order("buy", "AAPL", "10", "bracket", limit_price="190", take_profit_price="200", stop_loss_price="185"),
        ),
        ("close NG", close("NG")),
        ("close half CL", close("CL", fraction="0.5")),
        ("close 3 CL", close("CL", quantity="3")),
        ("close 25% CL", close("CL", fraction="0.25")),
        ("cancel 7F3K2", {"intent": "cancel_order", "order_id": "7F3K2"}),
        ("cancel all", {"intent": "cancel_all"}),
        ("orders", {"intent": "list_orders"}),
        ("positions", {"intent": "positions"}),
        ("pnl", {"intent": "portfolio"}),
        ("quote AAPL", {"intent": "quote", "symbol": "AAPL"}),
        ("alert NG above 3.5", {"intent": "set_alert", "symbol": "NG", "condition": "above", "threshold": "3.5"}),
        ("alert AAPL below 180", {"intent": "set_alert", "symbol": "AAPL", "condition": "below", "threshold": "180"}),
        (
            "alert BTC-USD move 5%",
            {"intent": "set_alert", "symbol": "BTC-USD", "condition": "pct_move", "threshold": "5"},
        ),
        ("delete alert 9QX2M", {"intent": "delete_alert", "alert_id": "9QX2M"}),
        ("alerts", {"intent": "list_alerts"}),
        ("risk", {"intent": "risk_status"}),
        ("yes 4821", {"intent": "confirm", "code": "4821"}),
        ("no", {"intent": "reject", "code": None}),
        ("link 123456", {"intent": "link", "code": "123456"}),
        ("help", {"intent": "help"}),
        ("kill", {"intent": "kill_switch"}),
        ("what's my exposure looking like", {"intent": "risk_status"}),
        ("tell me a joke about oil", {"intent": "unknown", "text": "tell me a joke about oil"}),
    ],
)
def test_each_documented_example_parses_to_exactly_this_json(text: str, expected: dict) -> None:
    assert intent_json(parse(text)) == expected


def test_intent_json_puts_intent_first_then_the_model_fields_in_order() -> None:
    assert list(intent_json(parse("buy 10 AAPL"))) == [
        "intent", "symbol", "side", "quantity", "order_type", "limit_price", "stop_price", "trail_amount",
        "trail_percent", "take_profit_price", "stop_loss_price", "time_in_force", "notional",
    ]  # fmt: skip
    assert list(intent_json(parse("buy 10 AAPL")))[1:] == list(OrderRequest.model_fields)  # declared once


def test_a_limit_entry_with_take_profit_and_stop_loss_is_a_bracket_the_order_model_accepts() -> None:
    intent = parse("buy 10 AAPL @ 190 tp 200 sl 185")
    assert isinstance(intent, PlaceOrder)
    request = intent.to_order_request()
    assert request.order_type == "bracket"
    assert OrderRequest(**intent.model_dump(exclude={"intent"})) == request


def test_prices_and_quantities_keep_the_traders_precision_and_stay_decimal() -> None:
    intent = parse("sell 2 CL @ 78.50 gtc")
    assert isinstance(intent, PlaceOrder)
    assert str(intent.limit_price) == "78.50"
    assert type(intent.limit_price).__name__ == "Decimal"


def test_tiny_crypto_quantities_print_in_plain_notation_not_exponents() -> None:
    assert intent_json(parse("buy 0.00000001 BTC-USD"))["quantity"] == "0.00000001"


def test_thousands_separators_and_k_m_suffixes_scale_without_exponents() -> None:
    assert intent_json(parse("buy 1,500 AAPL @ 1.5k"))["quantity"] == "1500"
    assert intent_json(parse("buy 1,500 AAPL @ 1.5k"))["limit_price"] == "1500"
    assert intent_json(parse("sell 2.5m XOM"))["quantity"] == "2500000"
    assert intent_json(parse("buy 1.2345k SPY"))["quantity"] == "1234.5"


def test_telegram_slash_commands_and_bot_name_suffixes_are_ignored() -> None:
    assert intent_json(parse("/buy@ParleyBot 10 AAPL")) == intent_json(parse("buy 10 AAPL"))
    assert intent_json(parse("/orders@ParleyBot")) == {"intent": "list_orders"}


def test_a_market_take_profit_alone_is_a_take_profit_order() -> None:
    assert intent_json(parse("buy 10 AAPL tp 200"))["order_type"] == "take_profit"


def test_a_trail_without_percent_is_an_amount() -> None:
    fields = intent_json(parse("sell 100 TSLA trail 1.5"))
    assert (fields["trail_amount"], fields["trail_percent"]) == ("1.5", None)


def test_closing_one_hundred_percent_means_closing_all_of_it() -> None:
    assert intent_json(parse("close 100% NG")) == intent_json(parse("close NG"))


def test_confirming_needs_a_code_but_rejecting_does_not() -> None:
    assert parse("yes").intent == "unknown"
    assert parse("no").intent == "reject"


@pytest.mark.parametrize(
    "text",
    [
        "buy 0 AAPL",
        "buy -5 AAPL",
        "buy 1e999999 AAPL",
        "buy NaN AAPL",
        "buy Infinity AAPL",
        "buy 10 AAPL @ 0",
        "buy 10 AAPL sl 185",
        "sell 10 AAPL @ 190 tp 200 sl 185",
        "buy 10 AAPL stop 190 ioc",
        "buy 10 AAPL trail 100%",
        "buy " + "9" * 5000 + " AAPL",
        "buy 10 AAPL " + "gtc " * 500,
        "\ud800 buy 10 AAPL",
        "",
    ],
)
def test_what_is_not_a_valid_intent_comes_back_unknown_with_the_original_text(text: str) -> None:
    assert parse(text) == Unknown(text=text)


def test_importing_the_grammar_loads_no_llm_library_and_no_other_door() -> None:
    probe = (
        "import sys, agent.grammar, agent.evaluation, agent.intents; "
        "heavy = ('langchain', 'langchain_core', 'langchain_openai', 'openai', 'channels', 'functions', 'infra'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy)); "
        "print('agent.grammar' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split("\n")[:2] == ["[]", "True"]


def test_a_dollar_amount_is_a_notional_order_never_that_many_shares() -> None:
    intent = intent_json(parse("buy $1000 of AAPL"))
    assert (intent["intent"], intent["notional"], intent["quantity"]) == ("place_order", "1000", None)


def test_a_ticker_typed_as_me_in_capitals_is_the_instrument_not_the_word_me() -> None:
    """"me" after the side is a filler ("buy me 10 AAPL"); "ME" in capitals naming no other instrument is a ticker."""
    assert intent_json(parse("B ME 0.00000001 limit 0.00000001 DAY")) == order(
        "buy", "ME", "0.00000001", "limit", limit_price="0.00000001"
    )
    assert intent_json(parse("buy 5 ME @ 2")) == order("buy", "ME", "5", "limit", limit_price="2")
    assert intent_json(parse("BUY ME 10 AAPL")) == order("buy", "AAPL", "10", "market")
    assert intent_json(parse("buy me 10 AAPL")) == order("buy", "AAPL", "10", "market")
