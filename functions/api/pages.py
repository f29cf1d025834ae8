"""Cursor pagination for the API's list endpoints: ``limit`` and ``cursor`` in, ``next_cursor`` out (null on the
last page). A cursor is the opaque position of the last item a page showed; the next page starts after it, so
an item added or cancelled meanwhile neither repeats nor skips one that was already there."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Query

from core.errors import InvalidRequest

T = TypeVar("T")
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the page before; none at first")]
MAX_PAGE = 500


def newest_first(created_at: datetime, item_id: str) -> str:
    """A position that sorts as a list shown newest first does (ties broken by id)."""
    return f"{created_at.timestamp():020.6f}#{item_id}"


def by_symbol(symbol: str) -> str:
    """A position that sorts as a list shown by symbol (A to Z) does: one item per symbol."""
    return f"symbol#{symbol}"


def page(
    items: Sequence[T], position: Callable[[T], str], limit: int, cursor: str | None, *, ascending: bool = False
) -> tuple[list[T], str | None]:
    """The ``limit`` items after ``cursor``, in descending (or ``ascending``) ``position`` order, and the cursor of
    the next page."""
    ordered = sorted(items, key=position, reverse=not ascending)
    if cursor is not None:
        after = _read(cursor)
        ordered = [item for item in ordered if (position(item) > after if ascending else position(item) < after)]
    shown = ordered[:limit]
    more = len(ordered) > limit
    return shown, _write(position(shown[-1])) if more and shown else None


def _write(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def _read(cursor: str) -> str:
    try:
        position = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        position = ""
    stamp, _, item_id = position.partition("#")
    newest_first_shape = len(stamp) == 20 and stamp.replace(".", "", 1).isdigit()
    if not item_id or not (newest_first_shape or stamp == "symbol"):
        raise InvalidRequest("That cursor is not one this list gave out; start again without it.",
                             code="invalid_cursor")
    return position
