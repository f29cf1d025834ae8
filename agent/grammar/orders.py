"""Order entry ("buy 10 AAPL @ 190 gtc") and closing positions ("close half CL").

An order is: side, quantity and symbol in either order, then clauses in any order. Any word the grammar
does not know makes the whole message unknown: a guessed order is worse than a question from the LLM.
A tp+sl pair is a bracket, with "@ 190" as its limit entry, because OrderRequest takes take-profit and
stop-loss prices only on brackets: "buy 10 AAPL @ 190 tp 200 sl 185" is a bracket, not a limit order.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from agent.grammar.lexicon import Number, Token, number, symbol
from agent.intents import ClosePosition, PlaceOrder
from core.orders import OrderType, Side, TimeInForce

SIDES: dict[str, Side] = {
    "buy": Side.BUY, "b": Side.BUY, "long": Side.BUY, "lift": Side.BUY, "cover": Side.BUY,
    "sell": Side.SELL, "s": Side.SELL, "short": Side.SELL, "hit": Side.SELL,
}  # fmt: skip
CLOSE_VERBS = frozenset({"close", "flatten", "flat", "exit"})

FILLERS = frozenset({"shares", "share", "shs", "contracts", "contract", "lots", "lot", "units", "coins", "of"})
_TIF = {tif.value: tif for tif in TimeInForce}
_LIMIT = frozenset({"@", "at", "limit", "lmt", "lim"})
_MARKET = frozenset({"market", "mkt"})
_STOP = frozenset({"stop", "stp"})
_STOP_LOSS = frozenset({"sl", "stoploss", "stop-loss"})
_TAKE_PROFIT = frozenset({"tp", "takeprofit", "take-profit", "target", "tgt"})
_TRAIL = frozenset({"trail", "trailing"})
_TRAIL_FILLERS = frozenset({"stop", "by"})
_SEPARATORS = frozenset({"=", ":"})
_PERCENT_WORDS = frozenset({"pct", "percent"})
_CLAUSE_WORDS = _LIMIT | _MARKET | _STOP | _STOP_LOSS | _TAKE_PROFIT | _TRAIL | set(_TIF) | {"take"}

CLOSE_FILLERS = FILLERS | {"my", "the", "out", "position", "positions", "pos", "whole", "entire"}
_ALL = frozenset({"all", "everything"})
_FRACTIONS = {"half": Decimal("0.5"), "quarter": Decimal("0.25"), "1/2": Decimal("0.5"), "1/4": Decimal("0.25")}
_HUNDRED = Decimal(100)


def parse_order(side: Side, tokens: list[Token]) -> PlaceOrder | None:
    """The order after the side word, or None if any part of it does not read as an order."""
    head = _quantity_and_symbol(tokens)
    if head is None:
        return None
    quantity, ticker, rest = head
    fields = _clauses(rest)
    if fields is None:
        return None
    fields.update(side=side, symbol=ticker, quantity=quantity, order_type=_order_type(fields))
    try:
        return PlaceOrder(**fields)
    except ValidationError:
        return None


def _quantity(word: str) -> Decimal | None:
    """A quantity: a plain number, or "10x" as traders write it."""
    found = number(word[:-1] if word.endswith("x") else word)
    return None if found is None or found.percent else found.value


def _quantity_and_symbol(tokens: list[Token]) -> tuple[Decimal, str, list[Token]] | None:
    """Read "10 AAPL", "10x AAPL", "10 x AAPL", "10 shares of AAPL" or "AAPL 10"; then the rest."""
    if len(tokens) < 2:
        return None
    quantity = _quantity(tokens[0].low)
    if quantity is None:  # symbol first: "buy AAPL 10"
        ticker, found = symbol(tokens[0].raw), number(tokens[1].low)
        if ticker is None or found is None or found.percent:
            return None
        return found.value, ticker, tokens[2:]
    i = 1
    if tokens[i].low == "x" and i + 1 < len(tokens) and tokens[i + 1].low not in _CLAUSE_WORDS:
        i += 1
    while i < len(tokens) and tokens[i].low in FILLERS:
        i += 1
    ticker = symbol(tokens[i].raw) if i < len(tokens) else None
    return None if ticker is None else (quantity, ticker, tokens[i + 1 :])


def _price(tokens: list[Token], i: int, percent_ok: bool = False) -> tuple[Number, int] | None:
    """The number at ``i`` (after an optional "=" or ":"), and the index after it."""
    if i < len(tokens) and tokens[i].low in _SEPARATORS:
        i += 1
    found = number(tokens[i].low) if i < len(tokens) else None
    if found is None:
        return None
    i += 1
    if percent_ok and i < len(tokens) and tokens[i].low in _PERCENT_WORDS:
        found, i = Number(found.value, percent=True), i + 1
    if found.percent and not percent_ok:
        return None
    return found, i


def _clauses(tokens: list[Token]) -> dict[str, object] | None:
    """Prices, trail and time in force, in any order; None on an unknown word or a repeated clause."""
    fields: dict[str, object] = {}
    market = False
    i = 0
    while i < len(tokens):
        word = tokens[i].low
        nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
        if word in FILLERS:
            i += 1
            continue
        if word in _TIF:
            key, value, i = "time_in_force", _TIF[word], i + 1
        elif word in _MARKET or (word in _LIMIT and nxt in _MARKET):
            market, i = True, i + (1 if word in _MARKET else 2)
            continue
        else:
            clause = _price_clause(tokens, i, word, nxt)
            if clause is None:
                return None
            key, value, i = clause
        if key in fields:
            return None
        fields[key] = value
    if market and "limit_price" in fields:
        return None
    return fields


def _price_clause(tokens: list[Token], i: int, word: str, nxt: str) -> tuple[str, object, int] | None:
    """One "<keyword> <number>" clause starting at ``i``: (field, value, next index)."""
    if word in _STOP and nxt == "loss":
        key, start = "stop_loss_price", i + 2
    elif word == "take" and nxt == "profit":
        key, start = "take_profit_price", i + 2
    elif word in _TRAIL:
        start = i + 2 if nxt in _TRAIL_FILLERS else i + 1
        read = _price(tokens, start, percent_ok=True)
        if read is None:
            return None
        found, end = read
        return ("trail_percent" if found.percent else "trail_amount"), found.value, end
    elif word in _LIMIT:
        key, start = "limit_price", i + 1
    elif word in _STOP:
        key, start = "stop_price", i + 1
    elif word in _STOP_LOSS:
        key, start = "stop_loss_price", i + 1
    elif word in _TAKE_PROFIT:
        key, start = "take_profit_price", i + 1
    else:
        return None
    read = _price(tokens, start)
    return None if read is None else (key, read[0].value, read[1])


def _order_type(fields: dict[str, object]) -> OrderType:
    """The type the prices imply; OrderRequest then rejects any price the type does not take."""
    if "trail_percent" in fields or "trail_amount" in fields:
        return OrderType.TRAILING_STOP
    if "take_profit_price" in fields:
        return OrderType.BRACKET if "stop_loss_price" in fields else OrderType.TAKE_PROFIT
    if "stop_price" in fields:
        return OrderType.STOP_LIMIT if "limit_price" in fields else OrderType.STOP
    return OrderType.LIMIT if "limit_price" in fields else OrderType.MARKET


def parse_close(tokens: list[Token]) -> ClosePosition | None:
    """Read "close NG" (all of it), "close half CL", "close 3 CL", "close 25% CL", "close my CL position"."""
    ticker: str | None = None
    amount: dict[str, Decimal] | None = None
    everything = False
    for token in tokens:
        word = token.low
        if word in CLOSE_FILLERS:
            continue
        found = number(word)
        if word in _ALL:
            everything = True
            continue
        if word in _FRACTIONS:
            part = {"fraction": _FRACTIONS[word]}
        elif found is not None:
            part = _close_amount(found)
        elif ticker is None and (ticker := symbol(token.raw)) is not None:
            continue
        else:
            return None
        if amount is not None or part is None:
            return None
        amount = part
    if ticker is None or (everything and amount):
        return None
    try:
        return ClosePosition(symbol=ticker, **(amount or {}))
    except ValidationError:
        return None


def _close_amount(found: Number) -> dict[str, Decimal] | None:
    """A quantity, or a percentage as a fraction; 100% is "all", which is no amount at all."""
    if not found.percent:
        return {"quantity": found.value}
    if found.value == _HUNDRED:
        return {}
    return {"fraction": found.value / _HUNDRED}
