"""Numbers as clients send them: decimal strings or JSON numbers, read strictly and bounded.

Python's Decimal reads far more than a trader means: "1_0" is 10, fullwidth and Arabic-Indic digits are
digits, "1e400" is a number too large to round. Every amount Parley accepts is instead plain ASCII decimal
notation (or a JSON number), within bounds that no instrument comes near, so every number a client can send
is either accepted or refused with a 422, never a 500 further down.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 12
PATTERN = rf"^[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?$"
_PLAIN = re.compile(PATTERN, re.ASCII)
LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS


def read_amount(value: Any) -> Decimal:
    """A non-negative Decimal from a decimal string or a JSON number; ValueError for anything else."""
    if isinstance(value, Decimal):
        text = format(value, "f") if value.is_finite() else "nan"
    elif isinstance(value, bool):
        raise ValueError("expected a number, not true or false")
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
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
    return Decimal(text)


def _plain(value: Decimal) -> str:
    """Positional notation with the digits as given: "0.00000001" and "78.50", never "1E-8"."""
    return format(value, "f")


# A non-negative amount: price, quantity, notional, limit. Travels as a string; a JSON number is read too.
Amount = Annotated[
    Decimal,
    BeforeValidator(read_amount),
    PlainSerializer(_plain, return_type=str, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "exclusiveMaximum": 10**MAX_INTEGER_DIGITS},
                              {"type": "string", "pattern": PATTERN}]}),
]
