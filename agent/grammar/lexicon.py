"""The shapes the grammar reads: tokens, numbers, symbols, ids and codes.

Everything here is ASCII-only on purpose: an Arabic-Indic or fullwidth digit is not a quantity a trader meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

MAX_COMMAND_LENGTH = 280  # longer than any command; longer messages go to the LLM as they are
MAX_NUMBER = 20  # characters in one number token, so scaling by k/m stays inside Decimal's precision

_BOT_SUFFIX = re.compile(r"^\s*/([A-Za-z_]+)@[A-Za-z0-9_]+", re.ASCII)  # Telegram "/cmd@BotName"
_TRAILING = re.compile(r"[.!?]+$")
_PAD = re.compile(r"(>=|<=|[@<>=])")
_PERCENT_GAP = re.compile(r"(?<=[0-9])\s+(?=%)")
_NUMBER = re.compile(
    r"(?P<money>\$)?(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?P<frac>\.[0-9]+)?(?P<suffix>[km])?(?P<pct>%)?", re.ASCII
)
_SYMBOL = re.compile(r"\$?([A-Za-z](?:[A-Za-z0-9.\-]{0,10}[A-Za-z0-9])?)", re.ASCII)
_ID = re.compile(r"#?([A-Za-z0-9]{4,16})", re.ASCII)
_CODE = re.compile(r"#?([A-Za-z0-9]{3,16})", re.ASCII)
_NOT_IDS = frozenset({"that", "this", "last", "them", "mine", "these", "those", "please", "order", "orders"})
_SCALE = {"k": 3, "m": 6}
# Letters that pass for digits at a glance ("1O", "l0", "5S"): a token mixing them with digits is a typo to ask
# about, never a number to read.
_LOOKALIKE = re.compile(r"[$#]?(?=[0-9.,]*[oOlIS])(?=[oOlIS.,]*[0-9])[0-9oOlIS.,]+[kmx%]?", re.ASCII)
_WORDS_1_TO_20 = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
]  # fmt: skip
# Quantities traders spell out ("buy ten AAPL"); only single words, so "twenty five" is never read as 20.
NUMBER_WORDS = {word: Decimal(value) for value, word in enumerate(_WORDS_1_TO_20, start=1)} | {
    "thirty": Decimal(30), "forty": Decimal(40), "fifty": Decimal(50), "hundred": Decimal(100),
}  # fmt: skip


class Unclear(Exception):
    """A message that reads as an instruction but not a clear one; ``question`` is what to ask back."""

    def __init__(self, question: str) -> None:
        super().__init__(question)
        self.question = question


@dataclass(frozen=True, slots=True)
class Token:
    """One word as typed (``raw``) and lower-cased for matching (``low``)."""

    raw: str
    low: str


@dataclass(frozen=True, slots=True)
class Number:
    value: Decimal
    percent: bool = False
    money: bool = False  # written with "$": an amount of money, never a quantity


def tokenize(text: str) -> list[Token]:
    """Split a message into tokens: no leading "/" or "@BotName", "@"/"<"/">"/"=" set apart."""
    s = _BOT_SUFFIX.sub(r"\1", text, count=1).strip()
    if s.startswith("/"):
        s = s[1:]
    s = _PERCENT_GAP.sub("", _PAD.sub(r" \1 ", _TRAILING.sub("", s)))
    tokens = []
    for word in s.split():
        word = word.strip(",;")
        if word:
            tokens.append(Token(word, word.lower()))
    return tokens


def number(word: str) -> Number | None:
    """Read "1,500", "78.50", "$190", "1k", "2.5m", "2%" exactly as typed, or None."""
    if len(word) > MAX_NUMBER:
        return None
    match = _NUMBER.fullmatch(word.lower())
    if match is None:
        return None
    money, whole, frac, suffix, pct = match.group("money", "int", "frac", "suffix", "pct")
    if not whole and not frac:
        return None
    value = Decimal((whole or "0").replace(",", "") + (frac or ""))
    if suffix:
        if pct:
            return None
        value = value.scaleb(_SCALE[suffix])
        value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return Number(value, percent=bool(pct), money=bool(money))


def lookalike(word: str) -> bool:
    """True for a number typed with a letter in it ("1O", "l0", "19O", "O.5"): worth a question, not a guess."""
    return _LOOKALIKE.fullmatch(word) is not None and number(word) is None


def ask_if_lookalike(token: Token) -> None:
    """Raise Unclear for a number typed with a letter in it: "1O" is a typo to ask about, not 10 or a ticker."""
    if lookalike(token.raw):
        raise Unclear(f"Is {token.raw!r} a number? It has a letter in it; please type it in digits.")


def symbol(word: str) -> str | None:
    """A ticker by shape (letters, digits, "-", "."; 1-12 chars, a letter first), upper-cased, or None.

    Symbols are not checked against the catalog here: the service answers "unknown symbol" clearly.
    """
    match = _SYMBOL.fullmatch(word)
    return match.group(1).upper() if match else None


def record_id(word: str) -> str | None:
    """An order or alert id ("7F3K2", "#7F3K2"), upper-cased, or None for words like "that"."""
    match = _ID.fullmatch(word)
    if match is None or match.group(1).lower() in _NOT_IDS:
        return None
    return match.group(1).upper()


def code(word: str) -> str | None:
    """A confirmation or link code as typed: 3-16 letters and digits with at least one digit."""
    match = _CODE.fullmatch(word)
    if match is None or not any(c.isdigit() for c in match.group(1)):
        return None
    return match.group(1)
