"""Questions about the account, as traders ask them: "what are my open orders", "how much cash do I have",
"show me my trade history", "how much is apple".

A question reads when, apart from words that carry no request ("what", "my", "show", "today"...), it names one
topic, or one instrument and a price word. Anything else stays unknown: a read that is not sure is left
for the LLM, and no question here ever places an order.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.grammar.lexicon import Token
from agent.grammar.words import instrument
from agent.intents import Fills, Help, Intent, ListAlerts, ListOrders, Portfolio, Positions, Quote, RiskStatus

_NO_REQUEST = frozenset({
    "what", "what's", "whats", "what're", "show", "me", "my", "the", "all", "any", "do", "does", "i", "i've", "ive",
    "have", "is", "are", "how", "how's", "hows", "much", "many", "list", "see", "give", "current", "currently",
    "open", "today", "today's", "todays", "right", "now", "so", "far", "looking", "like", "doing", "get", "got",
    "check", "view", "display", "let", "lemme", "tell", "about", "of", "in", "there", "set", "am", "did", "was",
    "a", "an", "it", "for", "please", "pls", "up", "which", "where", "where's", "wheres", "at", "you", "your",
    "recent", "latest", "last", "this", "week", "can", "say", "to", "and", "been", "has", "on", "with", "left",
    "remaining", "available",
})  # fmt: skip
_TOPICS: dict[str, Callable[[], Intent]] = {
    **dict.fromkeys(("orders", "order", "pending", "working"), ListOrders),
    **dict.fromkeys(("positions", "position", "holdings", "holding", "book", "own", "hold"), Positions),
    **dict.fromkeys((
        "pnl", "p&l", "p/l", "profit", "balance", "bal", "cash", "buying-power", "account", "portfolio", "equity",
        "money", "make", "made", "lost", "lose", "earned", "doing",
    ), Portfolio),
    **dict.fromkeys(("risk", "limits", "exposure"), RiskStatus),
    **dict.fromkeys(("alerts", "alert"), ListAlerts),
    **dict.fromkeys(("fills", "fill", "filled", "trades", "trade", "traded", "executions", "execution", "history"),
                    Fills),
    **dict.fromkeys(("help", "commands", "menu"), Help),
}  # fmt: skip
_PRICE_WORDS = frozenset({"price", "quote", "px", "trading", "worth", "bid", "ask", "offer", "spread", "level"})
_ASKING_A_PRICE = (("how", "much"), ("where",), ("where's",), ("wheres",))


def parse_question(tokens: list[Token]) -> Intent | None:
    """One topic among words that carry no request, or one instrument asked about by its price."""
    content = [token for token in tokens if token.low not in _NO_REQUEST]
    topics = {_TOPICS[t.low] for t in content if t.low in _TOPICS}
    if len(topics) == 1 and all(t.low in _TOPICS for t in content):
        return topics.pop()()
    instruments = [instrument(t) for t in content]
    named = {symbol for symbol in instruments if symbol is not None}
    rest = [t for t, symbol in zip(content, instruments, strict=True) if symbol is None]
    opening = tuple(t.low for t in tokens)
    priced = any(t.low in _PRICE_WORDS for t in rest) or any(opening[: len(a)] == a for a in _ASKING_A_PRICE)
    if len(named) == 1 and priced and all(t.low in _PRICE_WORDS for t in rest):
        return Quote(symbol=named.pop())
    return None
