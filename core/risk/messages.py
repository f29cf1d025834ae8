"""How the gate writes numbers and sentences for a trader: the limit and value strings of each reason and the
one-line rejection that joins them. Kept apart from the rules so that the wording changes in one place."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

CENTS = Decimal("0.01")


def money(amount: Decimal, currency: str) -> str:
    """An amount to the cent with thousands separators: "12,345.60 USD"."""
    return f"{amount:,.2f} {currency}"


def qty(quantity: Decimal) -> str:
    """A quantity with thousands separators and no trailing zeros: "1,500", "0.25"."""
    return f"{quantity.normalize():,f}"


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
