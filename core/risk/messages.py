"""How the gate writes numbers and sentences for a trader: the limit and value strings of each reason and the
one-line rejection that joins them. Kept apart from the rules so that the wording changes in one place. Numbers
people read go through core.wording.formats (``money``, ``qty``), as every reply and notification does; the
machine-readable limit and value strings (``plain``, ``cents``, ``seconds``) are the gate's own."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.wording.formats import money
from core.wording.formats import quantity as qty

__all__ = ["cents", "lower_first", "money", "plain", "qty", "rejection", "seconds"]

CENTS = Decimal("0.01")


def plain(value: Decimal) -> str:
    """A machine-readable limit or value: no separators, no trailing zeros."""
    return f"{value.normalize():f}"


def cents(value: Decimal) -> str:
    """A machine-readable amount to the cent."""
    return f"{value.quantize(CENTS):f}"


def seconds(age: timedelta) -> str:
    """An age in seconds to the millisecond, trailing zeros dropped: "2.5"."""
    return plain(Decimal(age // timedelta(milliseconds=1)) / 1000)


def rejection(messages: list[str]) -> str:
    """Every reason in one sentence: "Rejected: order quantity 10 exceeds ...; the latest AAPL quote is ..."."""
    return "Rejected: " + "; ".join(lower_first(m.rstrip(".")) for m in messages) + "."


def lower_first(text: str) -> str:
    """Lower-case the opening word unless it is a symbol or acronym (AAPL stays AAPL)."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text
