"""Properties of the grammar over generated input: it never raises, and its orders are always valid."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.grammar import intent_json, parse
from agent.grammar.closing import CLOSE_FILLERS
from agent.grammar.guards import NEGATIONS
from agent.grammar.lexicon import NUMBER_WORDS
from agent.grammar.orders import FILLERS, MONEY_WORDS
from agent.grammar.words import CATALOG
from agent.intents import Intent, PlaceOrder, Unknown
from core.orders import OrderRequest, Side, TimeInForce

INTENT_MODELS = get_args(get_args(Intent)[0])
ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates included: Python strings can hold them
SIDE_WORDS = {"buy": Side.BUY, "b": Side.BUY, "long": Side.BUY, "sell": Side.SELL, "s": Side.SELL, "short": Side.SELL}
# Words the grammar reads as something else even in capitals: fillers, amounts, negations, instrument names.
NOT_SYMBOLS = {
    word.upper()
    for word in (*FILLERS, *CLOSE_FILLERS, *NEGATIONS, *NUMBER_WORDS, *MONEY_WORDS, *CATALOG.aliases, "worth")
}

symbols = st.from_regex(r"[A-Z][A-Z0-9]{0,5}(-USD|\.[A-Z])?", fullmatch=True).filter(lambda s: s not in NOT_SYMBOLS)
amounts = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("999999999"), places=8, allow_nan=False)
GRAMMAR_WORDS = [
    "buy", "sell", "b", "s", "long", "short", "close", "cancel", "alert", "quote", "yes", "no", "link", "x", "@",
    "at", "limit", "lmt", "stop", "stp", "loss", "take", "profit", "tp", "sl", "trail", "trailing", "%", "gtc",
    "ioc", "fok", "day", "mkt", "market", "shares", "of", "half", "all", "above", "below", "move", "=", "$", ",",
    ".", "k", "m", "AAPL", "CL", "NG", "BTC-USD", "0", "1", "2.5", "10", "1,500", "1k", "190", "185", "200", "-5",
    "1e999", "NaN", "Infinity", "99999999999999999999999",
]  # fmt: skip
words = st.sampled_from(GRAMMAR_WORDS)
numberish = st.from_regex(r"-?\$?[0-9]{0,25}([.,][0-9]{0,6})?[kKmM%]?", fullmatch=True)


def plain(value: Decimal) -> str:
    return format(value, "f")


def assert_a_well_formed_intent(text: str) -> None:
    intent = parse(text)
    assert isinstance(intent, INTENT_MODELS)
    json.dumps(intent_json(intent))
    if isinstance(intent, PlaceOrder):
        OrderRequest(**{key: value for key, value in intent.model_dump().items() if key != "intent"})
    if isinstance(intent, Unknown):
        assert intent.text == text


@settings(max_examples=500)
@given(st.text())
def test_any_text_parses_to_an_intent_without_raising(text: str) -> None:
    assert_a_well_formed_intent(text)


@settings(max_examples=300)
@given(st.text(alphabet=ANY_CHARACTER, max_size=400))
def test_any_unicode_including_lone_surrogates_parses_without_raising(text: str) -> None:
    assert_a_well_formed_intent(text)


@settings(max_examples=1000)
@given(st.lists(words | numberish | st.text(max_size=4), min_size=1, max_size=10))
def test_any_mix_of_grammar_words_and_numbers_gives_an_intent_and_every_order_is_a_valid_request(
    parts: list[str],
) -> None:
    assert_a_well_formed_intent(" ".join(parts))


@settings(max_examples=500)
@given(
    st.sampled_from(sorted(SIDE_WORDS)),
    st.one_of(amounts.map(plain), numberish),
    symbols,
    st.lists(st.sampled_from(["@", "stop", "limit", "tp", "sl", "trail", "gtc", "ioc"]) | numberish, max_size=6),
)
def test_generated_order_shaped_text_only_ever_yields_valid_orders(
    side: str, quantity: str, symbol: str, clauses: list[str]
) -> None:
    assert_a_well_formed_intent(" ".join([side, quantity, symbol, *clauses]))


@given(st.sampled_from(sorted(SIDE_WORDS)), amounts, symbols, amounts)
def test_side_quantity_symbol_at_price_round_trips_to_the_same_values(
    side: str, quantity: Decimal, symbol: str, price: Decimal
) -> None:
    intent = parse(f"{side} {plain(quantity)} {symbol} @ {plain(price)}")
    assert isinstance(intent, PlaceOrder)
    assert (intent.side, intent.symbol, intent.order_type) == (SIDE_WORDS[side], symbol, "limit")
    fields = intent_json(intent)
    assert (fields["quantity"], fields["limit_price"]) == (plain(quantity), plain(price))
    assert intent.time_in_force is TimeInForce.DAY


@given(
    st.sampled_from(sorted(SIDE_WORDS)),
    amounts,
    symbols,
    amounts,
    st.sampled_from(list(TimeInForce)),
    st.booleans(),
)
def test_thousands_separators_symbol_first_and_time_in_force_round_trip_too(
    side: str, quantity: Decimal, symbol: str, price: Decimal, tif: TimeInForce, symbol_first: bool
) -> None:
    head = f"{symbol} {quantity:,f}" if symbol_first else f"{quantity:,f} {symbol}"
    intent = parse(f"{side.upper()} {head} limit {price:,f} {tif.value.upper()}")
    assert isinstance(intent, PlaceOrder)
    assert (intent.quantity, intent.limit_price, intent.time_in_force) == (quantity, price, tif)
    assert intent.symbol == symbol


@given(symbols, amounts, amounts, amounts)
def test_a_take_profit_and_stop_loss_either_make_an_ordered_bracket_or_nothing(
    symbol: str, entry: Decimal, take_profit: Decimal, stop_loss: Decimal
) -> None:
    intent = parse(f"buy 1 {symbol} @ {plain(entry)} tp {plain(take_profit)} sl {plain(stop_loss)}")
    if stop_loss < entry < take_profit:
        assert isinstance(intent, PlaceOrder)
        assert intent.order_type == "bracket"
    else:
        assert isinstance(intent, Unknown)
