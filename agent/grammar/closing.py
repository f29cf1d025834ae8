"""Closing positions: "close half CL", "close AAPL @ 200", "close all"; and the protective orders that close
one at a price: "stop loss on TSLA at 240" (stop), "take profit on AAPL at 200" (limit), "trail my NVDA by 5%".

An amount is a quantity, a fraction ("half", "a quarter", "a third", "1/2") or a percentage ("25% of");
none means all of it. Numbers before the instrument are amounts, numbers after it are prices.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from agent.grammar.lexicon import NUMBER_WORDS, Number, Token, Unclear, ask_if_lookalike, number
from agent.grammar.orders import CLAUSE_WORDS, FILLERS, PERCENT_WORDS, clauses, known_ticker, order_type, ticker
from agent.grammar.words import instrument
from agent.intents import CLOSING_TYPES, CloseAll, ClosePosition, Intent

CLOSE_VERBS = frozenset({"close", "flatten", "flat", "exit", "liquidate", "dump"})
CLOSE_FILLERS = FILLERS | {
    "my", "the", "out", "position", "positions", "pos", "whole", "entire", "in", "a", "an", "short", "long",
}  # fmt: skip
_ALL = frozenset({"all", "everything"})
_FRACTIONS = {
    "half": Decimal("0.5"), "quarter": Decimal("0.25"), "third": Decimal(1) / Decimal(3),
    "1/2": Decimal("0.5"), "1/4": Decimal("0.25"), "1/3": Decimal(1) / Decimal(3),
}  # fmt: skip
_HUNDRED = Decimal(100)
_PROTECT_FILLERS = CLOSE_FILLERS | {"on", "for", "to", "at", "@", "=", "by", "stop", "order"}
# The protective order each entry word asks for: its type, the field its price goes in, whether it needs one.
PROTECTIVE = {
    "stop": ("stop", "stop_price"), "stp": ("stop", "stop_price"), "stop-loss": ("stop", "stop_price"),
    "sl": ("stop", "stop_price"), "stoploss": ("stop", "stop_price"),
    "take-profit": ("limit", "limit_price"), "tp": ("limit", "limit_price"),
    "trail": ("trailing_stop", "trail"), "trailing": ("trailing_stop", "trail"),
}  # fmt: skip
_EXAMPLES = {
    "stop": "stop loss on AAPL at 185", "limit": "take profit on AAPL at 200", "trailing_stop": "trail my AAPL by 5%",
}  # fmt: skip


def parse_close(tokens: list[Token]) -> Intent | None:
    """Read "close NG" (all of it), "close half CL", "close 3 CL", "close 25% of CL", "close AAPL @ 200",
    "close all" (every position)."""
    found: str | None = None
    named = None
    amount: dict[str, Decimal] | None = None
    everything = False
    fields: dict[str, object] = {}
    for i, token in enumerate(tokens):
        word = token.low
        if word in CLOSE_FILLERS:
            continue
        if word in _ALL:
            everything = True
            continue
        if word in CLAUSE_WORDS:
            read = clauses(tokens[i:])
            if read is None:
                return None
            fields = read
            break
        part = _amount(token)
        if part is not None:
            if amount is not None:
                raise Unclear("Close how much? Give one amount, e.g. `close half CL` or `close 3 CL`.")
            amount = part
        elif found is None and (found := ticker(token)) is not None:
            named = token
            continue
        else:
            _second_instrument(found, tokens[i:])
            return None
    if found is None:
        if everything and amount is None and not fields:
            return CloseAll()
        raise Unclear("Close which position? e.g. `close NG` or `close half CL`; `close all` closes every one.")
    if "time_in_force" in fields:
        return None
    return _close(known_ticker(named), amount or {}, fields)


def parse_protect(entry: str, tokens: list[Token]) -> ClosePosition | None:
    """Read the protective order after its entry word: "stop loss on TSLA at 240", "take profit on half my
    AAPL at 200", "trail my NVDA by 5%". Take profit with no price closes at market."""
    kind, field = PROTECTIVE[entry]
    found: str | None = None
    named = None
    amount: dict[str, Decimal] | None = None
    price = None
    for i, token in enumerate(tokens):
        word = token.low
        if word in _PROTECT_FILLERS:
            continue
        ask_if_lookalike(token)
        value = number(word)
        if found is None and price is None and (part := _amount(token)) is not None:
            if amount is not None:
                raise Unclear("How much of the position? Give one amount, e.g. `take profit on half my AAPL at 200`.")
            amount = part
        elif found is None and (found := ticker(token)) is not None:
            named = token
            continue
        elif found is not None and value is not None and (not value.percent or field == "trail"):
            if price is not None:
                raise Unclear(f"Two prices ({price.value} and {value.value}): which one?")
            price = value
        elif word in PERCENT_WORDS and price is not None and field == "trail":  # "by 4 percent"
            price = Number(price.value, percent=True)
        else:
            _second_instrument(found, tokens[i:])
            return None
    example = _EXAMPLES[kind]
    if found is None:
        raise Unclear(f"On which position? e.g. `{example}`.")
    found = known_ticker(named)
    if price is None:
        if kind != "limit":
            raise Unclear(f"At what price? e.g. `{example}`.")
        return _close(found, amount or {}, {})
    if field == "trail":
        field = "trail_percent" if price.percent else "trail_amount"
    return _close(found, amount or {}, {field: price.value})


def _close(symbol: str, amount: dict[str, Decimal], prices: dict[str, object]) -> ClosePosition | None:
    kind = order_type(prices)
    if kind not in CLOSING_TYPES:
        return None
    try:
        return ClosePosition(symbol=symbol, order_type=kind, **amount, **prices)
    except ValidationError:
        return None


def _amount(token: Token) -> dict[str, Decimal] | None:
    """A quantity, a fraction, or a percentage as a fraction; 100% is "all", which is no amount at all."""
    word = token.low
    if word in _FRACTIONS:
        return {"fraction": _FRACTIONS[word]}
    if word in NUMBER_WORDS:
        return {"quantity": NUMBER_WORDS[word]}
    ask_if_lookalike(token)
    found = number(word)
    if found is None or found.money:
        return None
    if not found.percent:
        return {"quantity": found.value}
    return {} if found.value == _HUNDRED else {"fraction": found.value / _HUNDRED}


def _second_instrument(found: str | None, rest: list[Token]) -> None:
    """Where reading stopped: another instrument in the rest ("close NG and CL") is a question, not unknown."""
    others = [symbol for symbol in map(instrument, rest) if symbol is not None and symbol != found]
    if found is not None and others:
        raise Unclear(f"One position at a time, please: {found} or {others[0]}?")
