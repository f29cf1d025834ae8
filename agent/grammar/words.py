"""Before reading: the words traders write, brought to the grammar's own.

Instrument names and nicknames come from the catalog's aliases (data, not code) and become the catalog
symbol; phrases that mean one thing ("good till cancelled", "at the market", "buying power") become one
word; polite wrapping ("please", "could you", "thanks") is dropped from either end.
"""

from __future__ import annotations

from itertools import product

from agent.grammar.lexicon import Token
from core.instruments import InstrumentCatalog

CATALOG = InstrumentCatalog.default()
# Every word that names an instrument, lower case: its symbol, or a one-word alias (longer ones are merged first).
NAMES: dict[str, str] = {**CATALOG.aliases, **{instrument.symbol.lower(): instrument.symbol for instrument in CATALOG}}


def instrument(token: Token) -> str | None:
    """The catalog symbol ``token`` names, or None."""
    return NAMES.get(token.low.lstrip("$"))


def _spellings(*parts: str) -> list[tuple[str, ...]]:
    """Every phrase from alternatives separated by "|" in each part: ("good", "till|til") -> two phrases."""
    return [tuple(word for word in combo if word) for combo in product(*(part.split("|") for part in parts))]


_ONE_WORD: dict[tuple[str, ...], str] = {
    **dict.fromkeys(_spellings("good", "till|til|until|'til", "cancelled|canceled|cancel"), "gtc"),
    **dict.fromkeys(_spellings("good-till-cancelled|good-til-canceled|good-till-canceled|good-til-cancelled"), "gtc"),
    ("gtc", "order"): "gtc",
    ("day", "order"): "day",
    **dict.fromkeys(_spellings("fill", "or|&", "kill"), "fok"),
    ("fill-or-kill",): "fok",
    **dict.fromkeys(_spellings("immediate", "or|&", "cancel"), "ioc"),
    ("immediate-or-cancel",): "ioc",
    **dict.fromkeys(_spellings("good|", "for", "the|", "day"), "day"),
    **dict.fromkeys(_spellings("at", "the", "market"), "mkt"),
    ("buying", "power"): "buying-power",
    **dict.fromkeys(_spellings("stop|stp", "loss"), "stop-loss"),
    **dict.fromkeys(_spellings("take", "profit|profits"), "take-profit"),
}  # fmt: skip
_ONE_WORD.pop(("for", "day"))  # "good for day" is a day order; "for day" alone is not a phrase traders use
_ALIASES = {tuple(alias.split()): symbol for alias, symbol in CATALOG.aliases.items()}
_MERGED: dict[tuple[str, ...], Token] = {
    **{phrase: Token(word, word) for phrase, word in _ONE_WORD.items()},
    **{phrase: Token(symbol, symbol.lower()) for phrase, symbol in _ALIASES.items()},
}
# The longest phrase that starts with each word: most words start none, and are passed over at once.
_STARTS: dict[str, int] = {}
for _phrase in _MERGED:
    _STARTS[_phrase[0]] = max(_STARTS.get(_phrase[0], 0), len(_phrase))

_LEADING = {
    *_spellings("please|pls|plz|kindly|hey|hi|yo|ok|okay|so|just|now"),
    *_spellings("can|could|will", "you|u", "please|pls|"),
    *_spellings("i", "want|wanna|need", "to|"),
    *_spellings("i'd|id|i'd", "like", "to|"),
    *_spellings("i", "would", "like", "to"),
    *_spellings("let's|lets"),
    *_spellings("go", "ahead", "and"),
}  # fmt: skip
_TRAILING = {*_spellings("please|pls|plz|thanks|thx|ty|cheers"), ("thank", "you"), ("for", "me")}
_LONGEST_WRAP = max(len(phrase) for phrase in (*_LEADING, *_TRAILING))
_WRAP_WORDS = frozenset(word for phrase in (*_LEADING, *_TRAILING) for word in phrase)
# A bare "ok 4821" confirms: polite words are only dropped when an instruction follows them.
_KEEP_FIRST = frozenset({"ok", "okay"})


def merge(tokens: list[Token]) -> list[Token]:
    """Instrument names to their catalog symbol, and set phrases to one word; longest match first."""
    merged: list[Token] = []
    i = 0
    while i < len(tokens):
        size = 1
        for size in range(min(_STARTS.get(tokens[i].low, 0), len(tokens) - i), 0, -1):
            key = tuple(token.low for token in tokens[i : i + size])
            if key in _MERGED:
                merged.append(_MERGED[key])
                break
        else:
            size = 1
            merged.append(tokens[i])
        i += size
    return merged


def unwrap(tokens: list[Token]) -> list[Token]:
    """The message without polite words at either end ("please buy 10 AAPL, thanks" -> "buy 10 AAPL")."""
    while tokens:
        cut = _match(tokens, _LEADING, front=True)
        if not cut or len(tokens) == cut or (tokens[0].low in _KEEP_FIRST and cut == 1 and len(tokens) == 2):
            break
        tokens = tokens[cut:]
    while len(tokens) > 1:
        cut = _match(tokens, _TRAILING, front=False)
        if not cut or len(tokens) == cut:
            break
        tokens = tokens[:-cut]
    return tokens


def _match(tokens: list[Token], phrases: set[tuple[str, ...]], *, front: bool) -> int:
    if (tokens[0] if front else tokens[-1]).low not in _WRAP_WORDS:
        return 0
    for size in range(min(_LONGEST_WRAP, len(tokens)), 0, -1):
        part = tokens[:size] if front else tokens[-size:]
        if tuple(token.low for token in part) in phrases:
            return size
    return 0
