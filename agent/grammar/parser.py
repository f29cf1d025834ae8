"""parse(): a trader's message to a typed Intent, deterministically, in microseconds.

Reading order: a whole-message phrase ("orders", "cancel all"), else the first word picks a reader for
the rest. Anything no reader claims is Unknown with the original text, for the LLM to try.
"""

from __future__ import annotations

from collections.abc import Callable

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
from agent.grammar.lexicon import MAX_COMMAND_LENGTH, Token, tokenize
from agent.grammar.orders import CLOSE_VERBS, SIDES, parse_close, parse_order
from agent.intents import Intent, Unknown
from core.orders import Side

Reader = Callable[[list[Token]], Intent | None]


def parse(text: str) -> Intent:
    """The intent in ``text``; never raises. What the grammar cannot read is Unknown(text=text)."""
    if not isinstance(text, str):
        return Unknown(text=repr(text))
    try:
        found = _read(text)
    except Exception:  # a grammar bug must not reach the trader; Unknown hands the text to the LLM
        found = None
    return found if found is not None else Unknown(text=text)


def _read(text: str) -> Intent | None:
    if len(text) > MAX_COMMAND_LENGTH:
        return None
    tokens = tokenize(text)
    if not tokens:
        return None
    phrase = PHRASES.get(" ".join(token.low for token in tokens))
    if phrase is not None:
        return phrase()
    reader = READERS.get(tokens[0].low)
    return reader(tokens[1:]) if reader is not None else None


def _order(side: Side) -> Reader:
    def read(rest: list[Token]) -> Intent | None:
        if side is Side.SELL and rest and rest[0].low == "short":  # "sell short 10 TSLA"
            rest = rest[1:]
        return parse_order(side, rest)

    return read


def _go(rest: list[Token]) -> Intent | None:
    """Read "go long 10 AAPL", "go short 5 CL"."""
    side = SIDES.get(rest[0].low) if rest and rest[0].low in ("long", "short") else None
    return parse_order(side, rest[1:]) if side is not None else None


def _after(words: frozenset[str], reader: Reader) -> Reader:
    """A two-word verb: "delete alert X", "set alert NG above 3"."""
    return lambda rest: reader(rest[1:]) if rest and rest[0].low in words else None


_ALERT_WORD = frozenset({"alert", "alerts"})

READERS: dict[str, Reader] = {word: _order(side) for word, side in SIDES.items()}
READERS["go"] = _go
READERS.update(dict.fromkeys(CLOSE_VERBS, parse_close))
READERS.update(dict.fromkeys(CANCEL_VERBS, parse_cancel))
READERS.update(dict.fromkeys(DELETE_VERBS, _after(_ALERT_WORD, parse_delete_alert)))
READERS.update(dict.fromkeys(("unalert", "delalert", "rmalert"), parse_delete_alert))
READERS.update(dict.fromkeys(("alert", "setalert"), parse_alert))
READERS.update(dict.fromkeys(("set", "add", "new", "create"), _after(_ALERT_WORD, parse_alert)))
READERS.update(dict.fromkeys(QUOTE_VERBS, parse_quote))
READERS.update(dict.fromkeys(CONFIRM_VERBS, parse_confirm))
READERS.update(dict.fromkeys(REJECT_VERBS, parse_reject))
READERS["link"] = parse_link
