"""Order entry: "buy 10 AAPL @ 190 gtc", "buy $1000 of AAPL", "sell 5 crude stop 70".

An order is: side, then an amount and an instrument in either order, then clauses in any order. An amount
written as money ("$1000", "1000 dollars") is a notional, never a quantity. A word the grammar does not know
makes the message unknown (for the LLM, or "did you mean"); a message that is order-shaped but not clear
(two prices, two instruments, no quantity, "1O" for 10) raises Unclear with the question to ask back.
A tp+sl pair is a bracket, with "@ 190" as its limit entry, because OrderRequest takes take-profit and
stop-loss prices only on brackets: "buy 10 AAPL @ 190 tp 200 sl 185" is a bracket, not a limit order.
"""

from __future__ import annotations

import re
from decimal import Decimal
from difflib import get_close_matches

from pydantic import ValidationError

from agent.grammar.lexicon import NUMBER_WORDS, Number, Token, Unclear, ask_if_lookalike, number, symbol
from agent.grammar.words import NAMES, instrument
from agent.intents import PlaceOrder
from core.orders import OrderType, Side, TimeInForce

SIDES: dict[str, Side] = {
    "buy": Side.BUY, "b": Side.BUY, "long": Side.BUY, "lift": Side.BUY, "cover": Side.BUY, "purchase": Side.BUY,
    "grab": Side.BUY,
    "sell": Side.SELL, "s": Side.SELL, "short": Side.SELL, "hit": Side.SELL,
}  # fmt: skip

FILLERS = frozenset({"shares", "share", "shs", "contracts", "contract", "lots", "lot", "units", "coins", "of"})
MONEY_WORDS = frozenset({"dollars", "dollar", "usd", "bucks", "$"})
# Words that are not a ticker unless typed in capitals ("buy 10 NOW" may be ServiceNow; "buy 10 now" is not).
PLAIN_WORDS = frozenset({
    "a", "an", "the", "it", "them", "those", "these", "this", "that", "some", "more", "all", "any", "few", "bunch",
    "me", "my", "now", "today", "tomorrow", "and", "or", "then", "to", "for", "with", "at", "on", "in", "worth",
    "lot", "half", "quarter", "third", "everything", "please", *SIDES,
})  # fmt: skip
_VAGUE = frozenset({"some", "a", "an", "few", "bunch", "of", "more", "the", "lot", "me", "worth", "$"}) | FILLERS
_TIF = {tif.value: tif for tif in TimeInForce}
_LIMIT = frozenset({"@", "at", "limit", "lmt", "lim"})
_MARKET = frozenset({"market", "mkt"})
_STOP = frozenset({"stop", "stp"})
_STOP_LOSS = frozenset({"sl", "stoploss", "stop-loss"})
_TAKE_PROFIT = frozenset({"tp", "takeprofit", "take-profit", "target", "tgt"})
_TRAIL = frozenset({"trail", "trailing"})
_TRAIL_FILLERS = frozenset({"stop", "by"})
_SEPARATORS = frozenset({"=", ":"})
PERCENT_WORDS = frozenset({"pct", "percent"})
_CLAUSE_FILLERS = FILLERS | {"order"}
CLAUSE_WORDS = _LIMIT | _MARKET | _STOP | _STOP_LOSS | _TAKE_PROFIT | _TRAIL | set(_TIF) | {"take"}
_OR = frozenset({"or", "and", "to", "-", "between", "/"})
_RANGE = re.compile(r"\$?[0-9][0-9.,]*-[0-9][0-9.,]*", re.ASCII)
_NAMES = {
    "limit_price": "limit prices", "stop_price": "stop prices", "trail_amount": "trails", "trail_percent": "trails",
    "take_profit_price": "take-profit prices", "stop_loss_price": "stop-loss prices", "time_in_force": "times in force",
}  # fmt: skip


def parse_order(side: Side, tokens: list[Token], model: type = PlaceOrder) -> PlaceOrder | None:
    """The order after the side word (a PlaceOrder, or ``model`` such as WhatIf), or None if it does not read
    as an order; Unclear if it reads as an order that is not clear.

    "me" after the side is a filler ("buy me 10 AAPL"); typed "ME" it may also be the ticker ("B ME 10 limit
    2"), so when dropping it leaves no clear order, the ticker reading is tried before giving up."""
    if not tokens or tokens[0].low != "me":
        return _order(side, tokens, model)
    try:
        found = _order(side, tokens[1:], model)
    except Unclear:
        if not tokens[0].raw.isupper() or (as_ticker := _quietly(side, tokens, model)) is None:
            raise
        return as_ticker
    return found if found is not None or not tokens[0].raw.isupper() else _quietly(side, tokens, model)


def _quietly(side: Side, tokens: list[Token], model: type) -> PlaceOrder | None:
    """The order ``tokens`` read as, or None where they read as none or as an unclear one."""
    try:
        return _order(side, tokens, model)
    except Unclear:
        return None


def _order(side: Side, tokens: list[Token], model: type) -> PlaceOrder | None:
    """The order read from ``tokens`` as they stand (see parse_order)."""
    head = _head(tokens)
    if head is None:
        raise_if_unclear(side, tokens)
        return None
    amount, named, rest = head
    fields = clauses(rest)
    if fields is None:
        raise_if_unclear(side, tokens)
        return None
    found = known_ticker(named)
    fields.update(side=side, symbol=found, order_type=order_type(fields))
    if amount.money:
        if fields["order_type"] is not OrderType.MARKET:
            raise Unclear(f"How many {found}? A dollar amount buys at market; a {fields['order_type'].value} order "
                          f"needs a quantity, e.g. `{side.value} 10 {found} ...`.")
        fields["notional"] = amount.value
    else:
        fields["quantity"] = amount.value
    try:
        return model(**fields)
    except ValidationError:
        return None


def ticker(token: Token) -> str | None:
    """The symbol a word names: a catalog alias or symbol, else a ticker by shape unless it is a plain word."""
    known = instrument(token)
    if known is not None:
        return known
    if token.low in PLAIN_WORDS and not token.raw.isupper():
        return None
    return symbol(token.raw)


def known_ticker(token: Token) -> str:
    """The symbol of the instrument ``token`` names. A word that names none and is not typed as a ticker (in
    capitals) is a typo or a name the catalog does not know ("appl", "gas"): Unclear, never a guessed symbol."""
    found = ticker(token)
    if found is None or (instrument(token) is None and token.raw != token.raw.upper()):
        close = get_close_matches(token.low, NAMES, n=6, cutoff=0.75)
        symbols = list(dict.fromkeys(NAMES[name] for name in close))[:3]
        hint = f" Did you mean {' or '.join(symbols)}?" if symbols else ""
        raise Unclear(f"Which instrument is {token.raw!r}?{hint} Please give its symbol, e.g. AAPL or CL.")
    return found


def amount(tokens: list[Token], i: int) -> tuple[Number, int] | None:
    """The amount at ``i``: "10", "10x", "ten", "$1000", "1000 dollars"; and the index after it."""
    if i >= len(tokens):
        return None
    word = tokens[i].low
    found = Number(NUMBER_WORDS[word]) if word in NUMBER_WORDS else number(word[:-1] if word.endswith("x") else word)
    if found is None or found.percent:
        return None
    i += 1
    if i < len(tokens) and tokens[i].low in MONEY_WORDS and not found.money:
        found, i = Number(found.value, money=True), i + 1
    return found, i


def _head(tokens: list[Token]) -> tuple[Number, Token, list[Token]] | None:
    """Read "10 AAPL", "10x AAPL", "10 x AAPL", "10 shares of AAPL", "$2,500 worth of NVDA" or "AAPL 10"."""
    if len(tokens) < 2:
        return None
    read = amount(tokens, 0)
    if read is None:  # symbol first: "buy AAPL 10"
        after = amount(tokens, 1)
        return None if ticker(tokens[0]) is None or after is None else (after[0], tokens[0], tokens[after[1] :])
    found_amount, i = read
    if i < len(tokens) and tokens[i].low == "x" and i + 1 < len(tokens) and tokens[i + 1].low not in CLAUSE_WORDS:
        i += 1
    while i < len(tokens) and (tokens[i].low in FILLERS or tokens[i].low == "worth"):
        i += 1
    found = ticker(tokens[i]) if i < len(tokens) else None
    return None if found is None else (found_amount, tokens[i], tokens[i + 1 :])


def raise_if_unclear(side: Side, tokens: list[Token]) -> None:
    """Why an order-shaped message did not read, as a question to ask back; return if it is simply unknown."""
    verb = side.value
    for token in tokens:
        ask_if_lookalike(token)
        if _RANGE.fullmatch(token.low):
            raise Unclear(f"Which number? {token.raw!r} is a range; please give one.")
    named = [symbol for symbol in map(instrument, tokens) if symbol is not None]
    symbols = list(dict.fromkeys(named))
    if len(named) > 1:
        raise Unclear(f"One instrument per order, please: {' or '.join(symbols)}? Send each order on its own.")
    content = [t for t in tokens if t.low not in _VAGUE]
    amounts = [t for t in content if amount([t], 0) is not None]
    if not content:
        raise Unclear(f"{verb.capitalize()} what? Say how many and which instrument, e.g. `{verb} 10 AAPL`.")
    if len(amounts) > 1 and all(t in amounts or t.low in _OR for t in content[: content.index(amounts[-1]) + 1]):
        raise Unclear(f"How many: {' or '.join(t.raw for t in amounts)}? Please give one quantity.")
    if len(content) == 1 and symbols:
        raise Unclear(f"How many {symbols[0]}? e.g. `{verb} 10 {symbols[0]}` or `{verb} $1000 of {symbols[0]}`.")
    if content[0] in amounts and all(t in amounts or t.low in CLAUSE_WORDS for t in content[1:]) and (
        len(amounts) == 1 or content[1].low in CLAUSE_WORDS
    ):
        raise Unclear(f"{verb.capitalize()} {content[0].raw} of which instrument? e.g. `{verb} {content[0].raw} AAPL`.")


def clauses(tokens: list[Token]) -> dict[str, object] | None:
    """Prices, trail and time in force, in any order; None on an unknown word, Unclear on a clause given twice,
    a second price, or a market order with a price."""
    fields: dict[str, object] = {}
    market = False
    i = 0
    while i < len(tokens):
        word = tokens[i].low
        nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
        if word in _CLAUSE_FILLERS:
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
                _ask_about_a_second_price(tokens, i, fields, market)
                return None
            key, value, i = clause
        if key in fields:
            raise Unclear(f"Two {_NAMES[key]} ({_text(fields[key])} and {_text(value)}): which one?")
        fields[key] = value
    if market and "limit_price" in fields:
        raise Unclear(f"At market, or a limit at {_text(fields['limit_price'])}? Please give one.")
    return fields


def _ask_about_a_second_price(tokens: list[Token], i: int, fields: dict[str, object], market: bool) -> None:
    """At an unreadable word: a bare number, or "190 or 191", means a price was given twice or without a name."""
    word = tokens[i].low
    bare = number(word)
    if word in _OR and i + 1 < len(tokens) and number(tokens[i + 1].low) is not None:
        bare = number(tokens[i + 1].low)
    if bare is None or bare.percent:
        return
    prices = [value for key, value in fields.items() if key != "time_in_force"]
    if prices:
        raise Unclear(f"Two prices ({_text(prices[-1])} and {_text(bare.value)}): which one?")
    if market:
        raise Unclear(f"At market, or a limit at {_text(bare.value)}? Please give one.")
    raise Unclear(f"Is {_text(bare.value)} a limit price? Then say `@ {_text(bare.value)}`.")


def _text(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _price(tokens: list[Token], i: int, percent_ok: bool = False) -> tuple[Number, int] | None:
    """The number at ``i`` (after an optional "=" or ":"), and the index after it."""
    if i < len(tokens) and tokens[i].low in _SEPARATORS:
        i += 1
    found = number(tokens[i].low) if i < len(tokens) else None
    if found is None:
        return None
    i += 1
    if percent_ok and i < len(tokens) and tokens[i].low in PERCENT_WORDS:
        found, i = Number(found.value, percent=True), i + 1
    if found.percent and not percent_ok:
        return None
    return found, i


def _price_clause(tokens: list[Token], i: int, word: str, nxt: str) -> tuple[str, object, int] | None:
    """One "<keyword> <number>" clause starting at ``i``: (field, value, next index)."""
    if word in _TRAIL:
        start = i + 2 if nxt in _TRAIL_FILLERS else i + 1
        read = _price(tokens, start, percent_ok=True)
        if read is None:
            return None
        found, end = read
        return ("trail_percent" if found.percent else "trail_amount"), found.value, end
    if word in _LIMIT:
        key, start = "limit_price", i + 1
    elif word in _STOP:
        key, start = "stop_price", i + 1
    elif word in _STOP_LOSS:
        key, start = "stop_loss_price", i + 1
    elif word in _TAKE_PROFIT:
        key, start = "take_profit_price", i + 1
    else:
        return None
    if start < len(tokens) and tokens[start].low == "at":  # "limit at 190", "stop at 195"
        start += 1
    read = _price(tokens, start)
    return None if read is None else (key, read[0].value, read[1])


def order_type(fields: dict[str, object]) -> OrderType:
    """The type the prices imply; OrderRequest then rejects any price the type does not take."""
    if "trail_percent" in fields or "trail_amount" in fields:
        return OrderType.TRAILING_STOP
    if "take_profit_price" in fields:
        return OrderType.BRACKET if "stop_loss_price" in fields else OrderType.TAKE_PROFIT
    if "stop_price" in fields:
        return OrderType.STOP_LIMIT if "limit_price" in fields else OrderType.STOP
    return OrderType.LIMIT if "limit_price" in fields else OrderType.MARKET
