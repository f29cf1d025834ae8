"""Did you mean: the commands closest to a message the grammar could not read, for when no LLM is configured.

First the message itself with its misspelt words put right ("byu 10 appl" -> "buy 10 AAPL"), if that reads;
then the closest whole command ("postions" -> "positions"); then examples of the command its first word is
closest to. A suggestion is only ever shown: sending it is the trader's choice, and an order still waits
for the trader's "yes <code>".
"""

from __future__ import annotations

from difflib import get_close_matches

from agent.grammar.commands import PHRASES
from agent.grammar.parser import READERS, parse, words
from agent.grammar.words import CATALOG
from agent.intents import Clarify, Unknown

_EXAMPLES = {
    "buy": ("buy 10 AAPL", "buy 10 AAPL @ 190 gtc", "buy $1000 of AAPL"),
    "sell": ("sell 10 AAPL", "sell 2 CL @ 78.50", "sell 100 TSLA trail 2%"),
    "close": ("close NG", "close half CL", "close all"),
    "cancel": ("cancel 7F3K2", "cancel all"),
    "quote": ("quote AAPL",),
    "alert": ("alert NG above 3.5", "alerts"),
    "stop": ("stop loss on AAPL at 185",),
    "move": ("move order 7F3K2 to 191",),
    "yes": ("yes 4821",),
}
_FAMILY = {
    **dict.fromkeys(("buy", "purchase", "long", "cover", "grab", "get"), "buy"),
    **dict.fromkeys(("sell", "short"), "sell"),
    **dict.fromkeys(("close", "flatten", "exit", "liquidate", "dump"), "close"),
    **dict.fromkeys(("cancel", "cxl"), "cancel"),
    **dict.fromkeys(("quote", "price"), "quote"),
    **dict.fromkeys(("alert", "alerts"), "alert"),
    **dict.fromkeys(("stop", "stop-loss", "trail", "take-profit"), "stop"),
    **dict.fromkeys(("move", "change", "modify", "amend"), "move"),
    **dict.fromkeys(("yes", "confirm"), "yes"),
}  # fmt: skip
_FIRST_WORDS = sorted({word for word in READERS if len(word) > 2} | {p.split()[0] for p in PHRASES if len(p) > 2})
_LATER_WORDS = sorted(
    {w for p in PHRASES for w in p.split()[1:]}
    | set(CATALOG.aliases)
    | {i.symbol.lower() for i in CATALOG}
    | {"shares", "limit", "stop", "loss", "profit", "trail", "market", "above", "below", "alert", "order", "orders"}
)
_CLOSE = 0.8


def suggest(text: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` commands the trader may have meant; empty when nothing is close."""
    if not isinstance(text, str):
        return []
    tokens = words(text)
    if not tokens:
        return []
    corrected = _corrected([token.raw for token in tokens])
    if corrected is not None:
        return [corrected]
    joined = " ".join(token.low for token in tokens)
    phrases = get_close_matches(joined, list(PHRASES), n=limit, cutoff=_CLOSE)
    if phrases:
        return phrases
    first = _closest(tokens[0].low, list(_FAMILY))
    return list(_EXAMPLES[_FAMILY[first]][:limit]) if first is not None else []


def _closest(word: str, vocabulary: list[str]) -> str | None:
    """The known word ``word`` is a typo of: two letters swapped ("byu"), or close enough by difflib."""
    for i in range(len(word) - 1):
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if swapped in vocabulary:
            return swapped
    close = get_close_matches(word, vocabulary, n=1, cutoff=_CLOSE)
    return close[0] if close else None


def _corrected(raw: list[str]) -> str | None:
    """The message with each unknown word replaced by the closest known one, if that changes it and reads."""
    fixed = list(raw)
    for i, word in enumerate(raw):
        low = word.lower()
        vocabulary = _FIRST_WORDS if i == 0 else _LATER_WORDS
        if len(low) < 2 or not low.isalpha() or low in vocabulary or CATALOG.resolve(word) is not None:
            continue
        close = _closest(low, vocabulary)
        if close is not None:
            found = CATALOG.resolve(close)
            fixed[i] = found.symbol if found is not None and i > 0 else close
    if fixed == raw:
        return None
    text = " ".join(fixed)
    return None if isinstance(parse(text), Unknown | Clarify) else text
