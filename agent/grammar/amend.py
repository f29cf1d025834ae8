"""Changing a working order: "move order 7F3K2 to 191", "change order 7F3K2 quantity to 5",
"modify 7F3K2 limit 191 qty 5", "move my stop on 7F3K2 to 186".

A bare price ("to 191") is the limit price, the price traders move most; a stop or a trail is named.
"""

from __future__ import annotations

from pydantic import ValidationError

from agent.grammar.lexicon import Token, Unclear, ask_if_lookalike, number, record_id
from agent.intents import ModifyOrder

MODIFY_VERBS = frozenset({"move", "change", "modify", "amend", "update", "edit", "adjust"})
_FILLERS = frozenset({
    "my", "the", "order", "ord", "on", "for", "to", "of", "its", "it", "at", "=", ":", "by", "new", "and", "or",
})
_FIELDS = {
    "limit": "limit_price", "lmt": "limit_price", "lim": "limit_price", "price": "limit_price", "px": "limit_price",
    "@": "limit_price", "stop": "stop_price", "stp": "stop_price", "trail": "trail", "trailing": "trail",
    "quantity": "quantity", "qty": "quantity", "size": "quantity",
}  # fmt: skip
_UNITS = frozenset({"shares", "share", "contracts", "contract", "lots", "lot", "units", "coins"})
_NAMES = {"limit_price": "limit prices", "stop_price": "stop prices", "quantity": "quantities", "trail": "trails"}
_EXAMPLE = "`move order 7F3K2 to 191` or `change order 7F3K2 quantity to 5`"


def parse_modify(tokens: list[Token]) -> ModifyOrder | None:
    order_id: str | None = None
    changes: dict[str, object] = {}
    pending: str | None = None  # the field a keyword named, waiting for its number
    for i, token in enumerate(tokens):
        word = token.low
        if order_id is not None:
            ask_if_lookalike(token)
        if word in _FILLERS:
            continue
        if word in _FIELDS:
            pending = _FIELDS[word]
            continue
        if word in _UNITS and "quantity" in changes:
            continue
        found = number(word)
        if found is None:
            if order_id is not None or (order_id := record_id(token.raw)) is None:
                return None
            continue
        key = pending or _bare_field(tokens, i)
        if key == "trail":
            key = "trail_percent" if found.percent else "trail_amount"
        elif found.percent:
            return None
        if key in changes or (key.startswith("trail") and any(k.startswith("trail") for k in changes)):
            raise Unclear(f"Two {_NAMES.get(key, 'trails')}: which one? e.g. {_EXAMPLE}.")
        changes[key] = found.value
        pending = None
    if order_id is None:
        raise Unclear(f"Which order? Give its id, e.g. {_EXAMPLE}.")
    if not changes:
        raise Unclear(f"Change it to what? e.g. {_EXAMPLE}.")
    try:
        return ModifyOrder(order_id=order_id, **changes)
    except ValidationError:
        return None


def _bare_field(tokens: list[Token], i: int) -> str:
    """A number no keyword named: a quantity when a unit follows ("to 5 shares"), else the limit price."""
    after = tokens[i + 1].low if i + 1 < len(tokens) else ""
    return "quantity" if after in _UNITS else "limit_price"
