"""Never a wrong order: messages that mention an order but do not give one, caught before any reader.

A negation ("don't buy 10 AAPL"), a question ("should I buy 10 AAPL?"), the past ("I bought 10 AAPL
yesterday") or two orders at once ("buy 10 AAPL and sell 5 TSLA") is not an instruction to trade. Each gets
a short question back; with an LLM configured the conversation hands the text to it instead.
"""

from __future__ import annotations

from agent.grammar.lexicon import NUMBER_WORDS, Token, Unclear, number
from agent.grammar.words import instrument

# Words that place or close an order, when what follows is something to trade ("buy 10", "close NG", "sell my").
ORDER_WORDS = frozenset({
    "buy", "sell", "short", "long", "cover", "close", "flatten", "exit", "purchase", "dump", "liquidate", "grab",
    "buying", "selling", "shorting", "closing",
})  # fmt: skip
# Words that name a protective order inside an order too ("buy 10 AAPL stop 190"): a mention, not a second order.
_PROTECTIVE_WORDS = frozenset({"stop", "stop-loss", "sl", "take-profit", "tp", "trail", "trailing"})
_OBJECTS = frozenset({
    "my", "all", "everything", "half", "position", "positions", "on", "some", "a", "the", "out", "more",
})  # fmt: skip
NEGATIONS = frozenset({
    "don't", "dont", "not", "never", "won't", "wont", "no", "shouldn't", "shouldnt", "can't", "cant",
    "cannot", "didn't", "didnt", "wouldn't", "wouldnt", "nope", "nah",
})  # fmt: skip
QUESTION_STARTS = frozenset({
    "should", "shall", "would", "is", "are", "do", "does", "did", "why", "when", "how", "what", "what's", "whats",
    "which", "who", "where", "will", "can", "could", "am", "was", "were", "isn't", "wanna",
})  # fmt: skip
PAST = frozenset({
    "bought", "sold", "shorted", "covered", "closed", "purchased", "flattened", "exited", "liquidated", "dumped",
})  # fmt: skip
_MENTIONS = ORDER_WORDS | _PROTECTIVE_WORDS
_QUIET = _MENTIONS | PAST  # a message with none of these cannot trip a guard
_SUBJECTS = frozenset({"i", "we", "he", "she", "they", "you", "already", "just", "i've", "ive", "we've", "had", "have"})


def check(tokens: list[Token], asked: bool) -> None:
    """Raise Unclear if ``tokens`` mention an order without giving one clearly; ``asked``: a "?" was typed."""
    if _QUIET.isdisjoint(token.low for token in tokens):
        return
    if _past(tokens):
        raise Unclear("Is that a trade you already made? I placed nothing; to trade now, send the order, "
                      "e.g. `buy 10 AAPL`.")
    if not order_words(tokens, _MENTIONS):
        return
    if any(token.low in NEGATIONS for token in tokens):
        raise Unclear("You said not to, so I placed nothing. What would you like to do?")
    if asked or tokens[0].low in QUESTION_STARTS:
        raise Unclear("Just asking? I placed nothing; to trade, send the order itself, e.g. `buy 10 AAPL`.")
    if len(order_words(tokens)) > 1:
        raise Unclear("Which order first? I take one per message, so I placed nothing.")


def order_words(tokens: list[Token], words: frozenset[str] = ORDER_WORDS) -> list[int]:
    """Where one of ``words`` is followed by something to trade: an amount, an instrument, "my", "all"..."""
    return [i for i, token in enumerate(tokens[:-1]) if token.low in words and _tradeable(tokens[i + 1])]


def _tradeable(token: Token) -> bool:
    word = token.low
    if word in _OBJECTS or word in NUMBER_WORDS or instrument(token) is not None:
        return True
    found = number(word)
    return found is not None or (word[:1].isdigit() and any(c.isalpha() for c in word))


def _past(tokens: list[Token]) -> bool:
    """A past-tense trade verb said as a fact: first, or after "I", "we", "already"..."""
    return any(
        token.low in PAST and (i == 0 or tokens[i - 1].low in _SUBJECTS) and len(tokens) > 1
        for i, token in enumerate(tokens)
    )
