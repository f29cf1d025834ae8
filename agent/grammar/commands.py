"""Everything that is not order entry: fixed phrases, cancels, quotes, alerts, confirmations, linking."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from agent.grammar.lexicon import Token, code, number, record_id, symbol
from agent.intents import (
    CancelAll,
    CancelOrder,
    CloseAll,
    Confirm,
    DeleteAlert,
    Help,
    Intent,
    KillSwitch,
    Link,
    ListAlerts,
    ListOrders,
    Portfolio,
    Positions,
    Quote,
    Reject,
    RiskStatus,
    SetAlert,
)

_PHRASE_TABLE: tuple[tuple[Callable[[], Intent], str], ...] = (
    (CancelAll, "cancelall|cancel all|cancel all orders|cancel all open orders|cancel all my orders|"
                "cancel everything|cxl all"),
    (ListOrders, "orders|open orders|my orders|list orders|show orders|show my orders|working orders|"
                 "my open orders"),
    (Positions, "positions|position|pos|my positions|show positions|list positions|open positions|"
                "show my positions"),
    (Portfolio, "pnl|p&l|p/l|portfolio|balance|bal|profit|account|my pnl|my p&l|show pnl|my portfolio|"
                "my balance|show portfolio|how much am i up|how much am i up today|how much am i down|how am i doing"),
    (CloseAll, "close all|close all positions|close all my positions|close everything|flatten everything|"
               "flatten all|flatten all positions|exit all|exit all positions|exit everything|liquidate everything|"
               "liquidate all|close out everything|close out all positions|get me flat|get flat|go flat|"
               "sell everything|close all open positions"),
    (RiskStatus, "risk|limits|risk limits|risk status|my risk|my limits|show risk|show limits"),
    (Help, "help|start|commands|menu|what can you do|what can i say|what can i do|how does this work"),
    (KillSwitch, "kill|killswitch|kill switch|kill-switch|hit the kill switch|stop all trading|stop all trading now|"
                 "halt all trading"),
    (Reject, "no|n|nope|nah|reject"),
    (ListAlerts, "alerts|my alerts|list alerts|show alerts|show my alerts"),
)  # fmt: skip
# Whole messages, lower-cased with single spaces, that name an intent with no arguments.
PHRASES = {phrase: intent for intent, phrases in _PHRASE_TABLE for phrase in phrases.split("|")}

CONFIRM_VERBS = frozenset({"yes", "y", "yep", "yeah", "ok", "okay", "confirm"})
REJECT_VERBS = frozenset({"no", "n", "nope", "nah", "reject"})
QUOTE_VERBS = frozenset({"quote", "q", "px", "price"})
CANCEL_VERBS = frozenset({"cancel", "cxl"})
DELETE_VERBS = frozenset({"delete", "del", "remove", "rm"})

_ABOVE = frozenset({"above", "over", ">", ">="})
_BELOW = frozenset({"below", "under", "<", "<="})
_MOVE = frozenset({"move", "moves", "change", "changes", "pct", "+/-", "+-", "±"})
_ALERT_FILLERS = frozenset({"me", "when", "if", "on", "for", "is", "goes", "trades", "crosses", "by", "of"})


_ALL_ORDERS = frozenset({"all", "every", "everything"})
_CANCEL_FILLERS = frozenset({"order", "orders", "ord", "my", "the", "open", "working", "pending", "i", "have", "now"})


def _single(tokens: list[Token]) -> Token | None:
    return tokens[0] if len(tokens) == 1 else None


def parse_confirm(tokens: list[Token]) -> Confirm | None:
    """Read "yes 4821", "y 4821", "confirm 4821": confirming an order always names its code."""
    only = _single(tokens)
    found = code(only.raw) if only else None
    return Confirm(code=found) if found else None


def parse_reject(tokens: list[Token]) -> Reject | None:
    """Read "no 4821"; the bare "no" is a phrase."""
    only = _single(tokens)
    found = code(only.raw) if only else None
    return Reject(code=found) if found else None


def parse_link(tokens: list[Token]) -> Link | None:
    """Read "link 123456", and "my link code is 123456" or "here's my code: 123456" after the first word."""
    tokens = [token for token in tokens if token.low not in _LINK_FILLERS]
    only = _single(tokens)
    found = code(only.raw) if only else None
    return Link(code=found) if found else None


_LINK_FILLERS = frozenset({"my", "link", "code", "is", ":", "="})


def parse_quote(tokens: list[Token]) -> Quote | None:
    """Read "quote AAPL", "price of AAPL", "px for CL"."""
    if tokens and tokens[0].low in ("of", "for"):
        tokens = tokens[1:]
    only = _single(tokens)
    found = symbol(only.raw) if only else None
    return Quote(symbol=found) if found else None


def parse_cancel(tokens: list[Token]) -> CancelOrder | CancelAll | DeleteAlert | None:
    """Read "cancel 7F3K2", "cancel my order #7F3K2", "cancel alert 9QX2M", "cancel every order I have"."""
    if tokens and tokens[0].low in ("alert", "alerts"):
        return parse_delete_alert(tokens[1:])
    words = [token.low for token in tokens]
    if _ALL_ORDERS & set(words) and set(words) <= _ALL_ORDERS | _CANCEL_FILLERS:
        return CancelAll()
    tokens = [token for token in tokens if token.low not in _CANCEL_FILLERS]
    only = _single(tokens)
    found = record_id(only.raw) if only else None
    return CancelOrder(order_id=found) if found else None


def parse_delete_alert(tokens: list[Token]) -> DeleteAlert | None:
    only = _single(tokens)
    found = record_id(only.raw) if only else None
    return DeleteAlert(alert_id=found) if found else None


def parse_alert(tokens: list[Token]) -> SetAlert | None:
    """Read "alert NG above 3.5", "alert AAPL < 180", "alert BTC-USD move 5%", "alert me when NG > 3.5"."""
    ticker = condition = None
    threshold = None
    for token in tokens:
        word = token.low
        if word in _ALERT_FILLERS:
            continue
        kind = "above" if word in _ABOVE else "below" if word in _BELOW else "pct_move" if word in _MOVE else None
        found = number(word) if kind is None else None
        if kind is not None:
            if condition is not None:
                return None
            condition = kind
        elif found is not None:
            if threshold is not None:
                return None
            threshold = found
        elif ticker is None and (ticker := symbol(token.raw)) is not None:
            continue
        else:
            return None
    if ticker is None or threshold is None:
        return None
    if threshold.percent:
        if condition not in (None, "pct_move"):
            return None
        condition = "pct_move"
    if condition is None:
        return None
    try:
        return SetAlert(symbol=ticker, condition=condition, threshold=threshold.value)
    except ValidationError:
        return None
