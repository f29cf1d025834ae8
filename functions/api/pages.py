"""Cursor pagination for the API's list endpoints: ``limit`` and ``cursor`` in, ``next_cursor`` out (null on the
last page). A cursor is the opaque position of the last item a page showed; the next page starts after it, so
an item added or cancelled meanwhile neither repeats nor skips one that was already there.

A list over a store asks the store for the page itself: ``after`` turns the cursor into the (created_at, id) the
store reads from (an index range, not the whole history) and ``cut`` shows ``limit`` of the ``limit + 1`` items
it asked for. ``page`` cuts a list already in hand (positions: a handful per account, read in one query)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, TypeVar

from fastapi import Query

from core.errors import InvalidRequest

T = TypeVar("T")
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the page before; none at first")]
MAX_PAGE = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def after(cursor: str | None) -> tuple[datetime, str] | None:
    """The (created_at, id) a newest-first cursor stands on, for a store to read the next page from there."""
    if cursor is None:
        return None
    stamp, _, item_id = _read(cursor).partition("#")
    if stamp == "symbol":
        raise _not_a_cursor()
    micros = int(Decimal(stamp) * 1_000_000)
    return EPOCH + timedelta(microseconds=micros), item_id


def cut(items: Sequence[T], position: Callable[[T], str], limit: int) -> tuple[list[T], str | None]:
    """A page a store read with one item beyond ``limit``: that item is not shown, it only says there is more."""
    shown = list(items[:limit])
    return shown, _write(position(shown[-1])) if len(items) > limit and shown else None


def _not_a_cursor() -> InvalidRequest:
    return InvalidRequest("That cursor is not one this list gave out; start again without it.", code="invalid_cursor")


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
        raise _not_a_cursor()
    return position
