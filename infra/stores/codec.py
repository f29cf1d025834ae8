"""Serialisation shared by the store adapters: records as JSON text, times as sortable UTC keys.

Records are kept as pydantic JSON, which writes Decimal as a string, so money and quantities round-trip
exactly. Times used in keys have a fixed width in UTC so that lexical order is chronological order.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_KEY_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def key_time(moment: datetime) -> str:
    """A fixed-width UTC text form of ``moment`` whose lexical order is chronological."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: store times must be timezone-aware")
    return moment.astimezone(UTC).strftime(_KEY_TIME)


def dump(record: BaseModel) -> str:
    """The JSON text a store keeps for ``record``."""
    return record.model_dump_json()


def load(model: type[M], text: str) -> M:
    """A fresh ``model`` from stored JSON, with every top-level datetime normalised to UTC.

    Fields this code does not know are dropped before validation: during a rolling deploy an older function
    must still read records a newer one wrote with an added field (the models forbid unknown fields on input).
    """
    raw = json.loads(text)
    known = model.model_fields  # read once: each read of it on the class costs as much as a small validation
    record = model.model_validate({k: v for k, v in raw.items() if k in known})
    updates = {
        name: value.astimezone(UTC)
        for name, value in record.__dict__.items()
        if isinstance(value, datetime) and value.tzinfo is not None
    }
    return record.model_copy(update=updates) if updates else record


def versioned(record: M, version: int) -> tuple[M, str]:
    """``record`` as it will be stored at ``version``: a fresh copy and its JSON text."""
    text = dump(record.model_copy(update={"version": version}))
    return load(type(record), text), text


def from_key_time(text: str) -> datetime:
    """The aware UTC datetime a ``key_time`` text stands for."""
    return datetime.strptime(text, _KEY_TIME).replace(tzinfo=UTC)
