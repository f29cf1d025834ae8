"""Storage: ports in ``ports``, adapters in ``sqlite`` and ``dynamodb``, chosen by ``open_store(url)``."""

from __future__ import annotations

from core.errors import InvalidRequest
from core.store.ports import Store


def open_store(url: str) -> Store:
    """Build the store named by a PARLEY_STORE_URL: ``sqlite:///PATH`` or ``dynamodb://TABLE``."""
    if url.startswith("sqlite:///"):
        from core.store.sqlite import open_sqlite_store

        return open_sqlite_store(url.removeprefix("sqlite:///"))
    if url.startswith("dynamodb://"):
        from core.store.dynamodb import open_dynamodb_store

        table = url.removeprefix("dynamodb://").strip("/")
        if not table:
            raise InvalidRequest("dynamodb:// store URL needs a table name, e.g. dynamodb://parley")
        return open_dynamodb_store(table)
    raise InvalidRequest(f"Unsupported store URL {url!r}: use sqlite:///PATH or dynamodb://TABLE")


__all__ = ["Store", "open_store"]
