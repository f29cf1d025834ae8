"""In-memory adapter for the storage ports: the store the unit tests of core and agent run on.

It keeps the contract of the SQLite and DynamoDB adapters (the same suite runs on all three). Each record is
held as the JSON text the other adapters store, next to a private parsed copy that only the queries look at;
callers always get a fresh record parsed from the text, so nothing they hold aliases what is stored.

One re-entrant lock guards everything. A unit of work takes it at ``__enter__`` and keeps it until commit or
rollback, so other threads (readers included) wait and never see half a unit; the unit applies its writes at
once and keeps an undo log, which rollback replays backwards. Writes through ``store.<repository>`` on the
thread that holds a unit go straight through and are not undone, as on DynamoDB.

The modules mirror ``core.ports.store``: ``trading``, ``market``, ``messaging``, ``platform`` and ``unit``
(the store and its unit of work), on the shared machinery of ``base``.
"""

from infra.stores.memory.unit import MemoryStore, MemoryUnitOfWork

__all__ = ["MemoryStore", "MemoryUnitOfWork"]
