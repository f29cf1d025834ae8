"""Numbers as clients send them: decimal strings or JSON numbers, read strictly and bounded.

Python's Decimal reads far more than a trader means: "1_0" is 10, fullwidth and Arabic-Indic digits are
digits, "1e400" is a number too large to round. Every amount Parley accepts is instead plain ASCII decimal
notation (or a JSON number), within bounds that no instrument comes near, so every number a client can send
is either accepted or refused with a 422, never a 500 further down.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 12
LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS
# The largest value (quantity x price x multiplier) an order may have: far past any market, and far enough
# inside the decimal context (28 digits) that sums of such values still round to the cent.
MAX_ORDER_VALUE = Decimal(10) ** 18


def pattern(*, positive: bool = False, integer_digits: int = MAX_INTEGER_DIGITS) -> str:
    """The decimal strings an amount accepts, as a JSON Schema (ECMA 262) pattern. ``positive`` adds a
    lookahead for a non-zero digit, so "0" and "0.00" are outside it exactly as the server refuses them."""
    nonzero = "(?=[0-9.]*[1-9])" if positive else ""
    return rf"^{nonzero}[0-9]{{1,{integer_digits}}}(\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?$"


PATTERN = pattern()
_PLAIN = re.compile(PATTERN, re.ASCII)


def read_amount(value: Any, *, positive: bool = False, integer_digits: int = MAX_INTEGER_DIGITS) -> Decimal:
    """A Decimal from a decimal string or a JSON number; ValueError for anything else. Never negative; with
    ``positive`` never zero; always below 10 ** ``integer_digits``."""
    if isinstance(value, Decimal):
        text = format(value, "f") if value.is_finite() else "nan"
    elif isinstance(value, bool):
        raise ValueError("expected a number, not true or false")
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(abs(value)) if value == 0 else repr(value)  # -0.0 is zero, as JSON Schema reads it
        if "e" in text or "E" in text or text in ("inf", "nan", "-inf"):
            try:
                text = format(Decimal(text), "f")
            except InvalidOperation:
                raise ValueError("expected a finite number") from None
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError("expected a decimal number as a string or a JSON number")
    if text.startswith("-"):
        raise ValueError("must not be negative")
    if not _PLAIN.fullmatch(text):
        raise ValueError(
            f"expected plain decimal digits (0-9, one optional point), at most {MAX_INTEGER_DIGITS} before "
            f"the point and {MAX_FRACTION_DIGITS} after it"
        )
    amount = Decimal(text)
    if positive and amount == 0:
        raise ValueError("must be greater than 0")
    if amount >= Decimal(10) ** integer_digits:
        raise ValueError(f"must be less than {10 ** integer_digits}")
    return amount


def plain(value: Decimal) -> str:
    """A decimal on the wire (JSON, ids), in positional notation with the digits as given: "0.00000001" and
    "78.50", never "1E-8"; a value too far from one to write out (past 64 places) keeps its exponent. Text for
    people is formatted by core.wording.formats instead."""
    exponent = value.as_tuple().exponent
    return format(value, "f") if isinstance(exponent, int) and abs(exponent) <= 64 else str(value)


class AmountRules(GroupedMetadata):
    """What an amount type reads, writes and documents: a JSON number in range, or a decimal string matching
    ``pattern``. Bounds live here, never as Field(gt=...) beside it (pydantic cannot place those inside the
    anyOf, and would emit a stray keyword). Grouped so that ``Annotated[Decimal, AmountRules(...)]`` stays a
    Decimal to the type checker while pydantic unpacks the three parts."""

    def __init__(self, *, positive: bool = False, integer_digits: int = MAX_INTEGER_DIGITS) -> None:
        self.positive, self.integer_digits = positive, integer_digits

    def __iter__(self) -> Iterator[object]:
        positive, integer_digits = self.positive, self.integer_digits
        number: dict[str, Any] = {"type": "number", "exclusiveMaximum": 10**integer_digits}
        number["exclusiveMinimum" if positive else "minimum"] = 0
        string = {"type": "string", "pattern": pattern(positive=positive, integer_digits=integer_digits)}
        yield BeforeValidator(partial(read_amount, positive=positive, integer_digits=integer_digits))
        yield PlainSerializer(plain, return_type=str, when_used="json")
        yield WithJsonSchema({
            "anyOf": [number, string],
            "description": f"A decimal string or a JSON number, {'greater than 0' if positive else 'not negative'}"
            f" and less than {10 ** integer_digits:,}, with at most {MAX_FRACTION_DIGITS} decimal places.",
        })


# A non-negative amount (a cash balance, a limit that may be zero). Travels as a string; a JSON number is read.
Amount = Annotated[Decimal, AmountRules()]
# A quantity or a price: greater than zero.
PositiveAmount = Annotated[Decimal, AmountRules(positive=True)]
# A percentage strictly between 0 and 100 (a trailing stop's trail).
Percent = Annotated[Decimal, AmountRules(positive=True, integer_digits=2)]


def read_count(value: Any) -> int:
    """A non-negative int from an int or a string of ASCII digits: "1_0", " 5" and "٣" are refused."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true or false")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MAX_INTEGER_DIGITS:
        return int(value)
    raise ValueError("expected a whole number in plain digits (0-9)")


# A whole number read strictly (query parameters arrive as strings).
Count = Annotated[int, BeforeValidator(read_count)]
