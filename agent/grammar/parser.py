"""parse(): a trader's message to a typed Intent, deterministically, in microseconds.

Reading order: the words brought to the grammar's own (instrument names, set phrases, no polite wrapping);
"what if ..." before anything; then the guards (a negation, a question, the past or two orders is never an
order); a whole-message phrase ("orders", "close all"); else the first word picks a reader for the rest;
else a question about the account. What no reader claims is Unknown with the original text, for the LLM;
what reads as an instruction that is not clear is a Clarify with the question to ask back.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.grammar import guards
from agent.grammar.amend import MODIFY_VERBS, parse_modify
from agent.grammar.closing import CLOSE_VERBS, PROTECTIVE, parse_close, parse_protect
from agent.grammar.commands import (
    CANCEL_VERBS,
    CONFIRM_VERBS,
    DELETE_VERBS,
    PHRASES,
    QUOTE_VERBS,
    REJECT_VERBS,
    parse_alert,
    parse_cancel,
    parse_confirm,
    parse_delete_alert,
    parse_link,
    parse_quote,
    parse_reject,
)
from agent.grammar.lexicon import MAX_COMMAND_LENGTH, Token, Unclear, tokenize
from agent.grammar.orders import SIDES, amount, parse_order
from agent.grammar.questions import parse_question
from agent.grammar.words import merge, unwrap
from agent.intents import Clarify, Intent, Unknown, WhatIf
from core.orders import Side

Reader = Callable[[list[Token]], Intent | None]


def parse(text: str) -> Intent:
    """The intent in ``text``; never raises. What the grammar cannot read is Unknown(text=text)."""
    if not isinstance(text, str):
        return Unknown(text=repr(text))
    try:
        found = _read(text)
    except Unclear as unclear:
        found = Clarify(question=unclear.question)
    except Exception:  # a grammar bug must not reach the trader; Unknown hands the text to the LLM
        found = None
    return found if found is not None else Unknown(text=text)


def words(text: str) -> list[Token]:
    """The message as the readers see it: tokens, instrument names as symbols, no polite wrapping."""
    return unwrap(merge(tokenize(text)))


def _read(text: str) -> Intent | None:
    if len(text) > MAX_COMMAND_LENGTH:
        return None
    tokens = words(text)
    if not tokens:
        return None
    hypothetical = _what_if(tokens)
    if hypothetical is not None:
        return hypothetical
    guards.check(tokens, asked="?" in text)
    phrase = PHRASES.get(" ".join(token.low for token in tokens))
    if phrase is not None:
        return phrase()
    reader = READERS.get(tokens[0].low)
    found = reader(tokens[1:]) if reader is not None else None
    if found is None:
        found = parse_question(tokens)
    if found is None and amount(tokens, 0) is not None:
        _ask_for_a_side(tokens)
    return found


_WHAT_IF = (("what", "if"), ("what", "happens", "if"), ("what", "would", "happen", "if"), ("whatif",), ("what-if",),
            ("simulate",), ("dry", "run"))  # fmt: skip
_WHAT_IF_STARTS = frozenset(prefix[0] for prefix in _WHAT_IF)
_SUBJECT = frozenset({"i", "we", "were", "was", "to", "went", "go", "get", "got", "did"})
_PAST_SIDES = {"bought": Side.BUY, "sold": Side.SELL, "shorted": Side.SELL, "purchased": Side.BUY}


def _what_if(tokens: list[Token]) -> Intent | None:
    """ "what if I buy 10 AAPL", "what happens if I sold 5 CL @ 78", "simulate buy 10 AAPL": the order's
    risk decision and buying-power effect, never staged."""
    if tokens[0].low not in _WHAT_IF_STARTS:
        return None
    lows = tuple(token.low for token in tokens)
    prefix = next((p for p in _WHAT_IF if lows[: len(p)] == p), None)
    if prefix is None:
        return None
    rest = tokens[len(prefix) :]
    while rest and rest[0].low in _SUBJECT:
        rest = rest[1:]
    verb = rest[0].low if rest else ""
    side = SIDES.get(verb, _PAST_SIDES.get(verb))
    if side is None:
        return None
    if len(guards.order_words(rest)) > 1:
        raise Unclear("Which order first? Ask about one at a time.")
    return parse_order(side, rest[1:], model=WhatIf)


def _ask_for_a_side(tokens: list[Token]) -> None:
    """ "10 AAPL" with no side: ask which, if the rest reads as an order."""
    try:
        order = parse_order(Side.BUY, tokens)
    except Unclear:
        return
    if order is not None:
        shown = " ".join(token.raw for token in tokens)
        raise Unclear(f"Buy or sell {shown}? Send `buy {shown}` or `sell {shown}`.")


def _order(side: Side) -> Reader:
    def read(rest: list[Token]) -> Intent | None:
        if side is Side.SELL and rest and rest[0].low in ("short", "sell"):  # "sell short 10 TSLA", "short sell"
            rest = rest[1:]
        if side is Side.SELL and any(t.low in _CLOSING_WORDS for t in rest):  # "sell half my TSLA", "sell all"
            try:  # unless it reads as an order: "sell 10 ALL" sells Allstate
                order = parse_order(side, rest)
            except Unclear:
                order = None
            return order or parse_close(rest)
        return parse_order(side, rest)

    return read


_CLOSING_WORDS = frozenset({"my", "half", "quarter", "third", "all", "everything"})


def _cover(rest: list[Token]) -> Intent | None:
    """ "cover 100 TSLA" buys; "cover my TSLA short" closes the short."""
    return parse_close(rest) if rest and rest[0].low == "my" else parse_order(Side.BUY, rest)


def _go(rest: list[Token]) -> Intent | None:
    """Read "go long 10 AAPL", "go short 5 CL", "get long 2 CL"."""
    side = SIDES.get(rest[0].low) if rest and rest[0].low in ("long", "short") else None
    return parse_order(side, rest[1:]) if side is not None else None


def _get(rest: list[Token]) -> Intent | None:
    """Read "get long 2 CL", "get me 10 AAPL", "get (me) out of CL"."""
    if rest and rest[0].low == "me":
        rest = rest[1:]
    if rest and rest[0].low == "out":
        return parse_close(rest[1:])
    if rest and rest[0].low in ("long", "short"):
        return _go(rest)
    return parse_order(Side.BUY, rest)


def _protect(rest: list[Token]) -> Intent | None:
    """Read "set a stop on AAPL at 185", "put a stop on CL at 76" ("set alert ..." is an alert)."""
    if rest and rest[0].low in _ALERT_WORD:
        return parse_alert(rest[1:])
    while rest and rest[0].low in ("a", "an", "my", "the"):
        rest = rest[1:]
    if rest and rest[0].low in PROTECTIVE:
        return parse_protect(rest[0].low, rest[1:])
    return None


def _after(words: frozenset[str], reader: Reader) -> Reader:
    """A two-word verb: "delete alert X", "set alert NG above 3"."""
    return lambda rest: reader(rest[1:]) if rest and rest[0].low in words else None


def _protective(entry: str) -> Reader:
    return lambda rest: parse_protect(entry, rest)


_ALERT_WORD = frozenset({"alert", "alerts"})

READERS: dict[str, Reader] = {word: _order(side) for word, side in SIDES.items()}
READERS["go"] = _go
READERS["cover"] = _cover
READERS["get"] = _get
READERS.update(dict.fromkeys(CLOSE_VERBS, parse_close))
READERS.update({entry: _protective(entry) for entry in PROTECTIVE})
READERS.update(dict.fromkeys(("set", "put", "place"), _protect))
READERS.update(dict.fromkeys(MODIFY_VERBS, parse_modify))
READERS.update(dict.fromkeys(CANCEL_VERBS, parse_cancel))
READERS.update(dict.fromkeys(DELETE_VERBS, _after(_ALERT_WORD, parse_delete_alert)))
READERS.update(dict.fromkeys(("unalert", "delalert", "rmalert"), parse_delete_alert))
READERS.update(dict.fromkeys(("alert", "setalert"), parse_alert))
READERS.update(dict.fromkeys(("add", "new", "create"), _after(_ALERT_WORD, parse_alert)))
READERS.update(dict.fromkeys(QUOTE_VERBS, parse_quote))
READERS.update(dict.fromkeys(CONFIRM_VERBS, parse_confirm))
READERS.update(dict.fromkeys(REJECT_VERBS, parse_reject))
READERS["link"] = parse_link
