"""Storage adapters for the ports of ``core.ports.store``: ``sqlite``, ``dynamodb`` and ``memory``, chosen by
``open_store(url)``."""

from __future__ import annotations

from core.errors import InvalidRequest
from core.ports.store import Store


def open_store(url: str) -> Store:
    """Build the store named by a PARLEY_STORE_URL: ``sqlite:///PATH``, ``dynamodb://TABLE`` or ``memory://``
    (a fresh, empty store on each call)."""
    if url == "memory://":
        from infra.stores.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite:///"):
        from infra.stores.sqlite import open_sqlite_store

        return open_sqlite_store(url.removeprefix("sqlite:///"))
    if url.startswith("dynamodb://"):
        from infra.stores.dynamodb import open_dynamodb_store

        table = url.removeprefix("dynamodb://").strip("/")
        if not table:
            raise InvalidRequest("dynamodb:// store URL needs a table name, e.g. dynamodb://parley")
        return open_dynamodb_store(table)
    raise InvalidRequest(f"Unsupported store URL {url!r}: use sqlite:///PATH, dynamodb://TABLE or memory://")


__all__ = ["Store", "open_store"]
