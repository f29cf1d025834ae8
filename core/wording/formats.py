"""The one set of number formatters for text people read: every reply, notification, email and risk message
shows a number through these, so a trader reads 95,047.30 the same way everywhere.

Thousands are grouped with commas; quantities drop stored trailing zeros (0.01, not 0.01000); money shows
cents and its currency; a price shows its instrument's tick precision. None reads as "-". These are for
people only: wire values (JSON, ids, audit data) stay plain ``format(value, "f")``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from core.instruments import InstrumentCatalog

MISSING = "-"
MIN_PRICE_PLACES = 2  # a price of a symbol Parley does not list shows at least cents


def number(value: Decimal | int | None) -> str:
    """A number with its digits as held, thousands grouped: ``1,000``, ``0.5``."""
    return MISSING if value is None else f"{value:,}"


def quantity(value: Decimal | None) -> str:
    """A quantity as a trader writes it: ``0.01``, not the stored ``0.01000``; ``1,000``, not ``1E+3``."""
    return MISSING if value is None else f"{value.normalize():,f}"


def money(value: Decimal | None, currency: str = "USD") -> str:
    """An amount of money to the cent with its currency: ``1,900.00 USD``."""
    return MISSING if value is None else f"{value:,.2f} {currency}"


def percent(value: Decimal | None, places: int | None = None) -> str:
    """A percentage: ``2%`` as given, or to ``places`` decimals (``3.46%``)."""
    if value is None:
        return MISSING
    return f"{value:,.{places}f}%" if places is not None else f"{value.normalize():,f}%"


def price(value: Decimal | None, symbol: str | None = None) -> str:
    """A price at its instrument's precision: ``2.0512`` for RB, ``95,047.30`` for BTC-USD, never cut to cents.
    A symbol Parley does not list (or none) shows at least cents and every place the price has."""
    if value is None:
        return MISSING
    places = tick_places(symbol) if symbol is not None else None
    if places is None:
        places = max(MIN_PRICE_PLACES, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"{value.quantize(Decimal(1).scaleb(-places)):,}"


@cache
def tick_places(symbol: str) -> int | None:
    """The decimal places of the instrument's tick (2 for 0.01, 4 for RB's 0.0001); None for a symbol only a
    venue lists."""
    catalog = InstrumentCatalog.default()
    if symbol not in catalog:
        return None
    return max(0, -catalog.get(symbol).tick_size.normalize().as_tuple().exponent)  # type: ignore[operator]
