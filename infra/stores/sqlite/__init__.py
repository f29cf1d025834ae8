"""SQLite adapter for the storage ports: the local and test stand-in for DynamoDB.

Each record is one JSON text column plus the indexed columns its queries need. The database runs in WAL
mode with a busy timeout; each thread gets its own connection, and every read-modify-write runs inside
``BEGIN IMMEDIATE`` so several threads and processes can write one file safely.

The modules mirror ``core.ports.store``: ``trading``, ``market``, ``messaging``, ``platform`` (each with the
tables of its repositories) and ``unit`` (the store, its unit of work and ``open_sqlite_store``), on the
shared machinery of ``base`` and the writer queue of ``writers``. Importing it never imports boto3.
"""

from infra.stores.sqlite.unit import SqliteStore, SqliteUnitOfWork, open_sqlite_store

__all__ = ["SqliteStore", "SqliteUnitOfWork", "open_sqlite_store"]
