"""Storage ports: small repositories and a unit of work, which every adapter (SQLite, DynamoDB, memory)
implements with one contract. One module per repository group, mirrored module for module by each backend
package under ``infra/stores/`` (``memory/``, ``sqlite/``, ``dynamodb/``):

- ``trading``: accounts, orders (and their change log), fills, positions, risk books
- ``market``: quotes and session closes, price alerts (and their change log), signal sources
- ``messaging``: contacts, link codes, outbound messages, notifications, conversation turns
- ``platform``: settings, audit, idempotency
- ``unit``: the ``Store`` (every repository of one backend) and the ``UnitOfWork`` over it

Every name is re-exported here: ``from core.ports.store import X`` is how the rest of the code imports them.

Conventions every adapter keeps (the contract suite in tests/integration checks them):
- Records are pydantic models; adapters return fresh copies, never the caller's object.
- Versioned records (Account, Order, Position, SystemSettings) use optimistic concurrency: ``add`` stores
  version 1; ``update``/``save`` succeed only if the stored version equals the given one, store
  version + 1 and return the stored copy; otherwise they raise ConcurrentUpdate.
- ``add`` of an existing key raises AlreadyExists; ``get`` of a missing key raises NotFound unless the
  method says it returns None.
- Backend failures are translated into core.errors (StoreError) at the adapter, ``from`` the cause.
- A write through ``store.<repository>`` commits on its own. Writes through a ``UnitOfWork`` commit
  together at ``commit()`` or not at all (see UnitOfWork).

Adding a repository means one port module, one module per backend and one contract test:
1. the ABC in the group module here that fits it (or a new group module, re-exported below), and its
   attribute on ``Store`` (and on ``UnitOfWork`` if its writes join units) in ``unit``;
2. the implementation in the module of the same name in ``infra/stores/memory/``, ``sqlite/`` (its table in
   that module's ``<GROUP>_SCHEMA``) and ``dynamodb/`` (its keys in the access-pattern table of the package),
   wired where each backend's ``unit`` module builds its store and its units (the memory backend also names
   the table in ``base.Db``);
3. a ``tests/integration/test_store_contract_<group>.py`` test run on every adapter through the ``store``
   fixture, including commit and rollback through a unit if it joins units.
"""

from core.ports.store.market import AlertRepository, Prices, QuoteRepository, SignalSourceRepository
from core.ports.store.messaging import (
    ContactRepository,
    ConversationRepository,
    LinkCodeRepository,
    MessageRepository,
    NotificationRepository,
)
from core.ports.store.platform import (
    AuditLog,
    IdempotencyRecord,
    IdempotencyStatus,
    IdempotencyStore,
    SettingsRepository,
)
from core.ports.store.trading import (
    CHANGE_LOG_KEPT,
    AccountRepository,
    FillRepository,
    OrderRepository,
    PositionRepository,
    RiskBookRepository,
)
from core.ports.store.unit import Store, UnitOfWork

__all__ = [
    "CHANGE_LOG_KEPT",
    "AccountRepository",
    "AlertRepository",
    "AuditLog",
    "ContactRepository",
    "ConversationRepository",
    "FillRepository",
    "IdempotencyRecord",
    "IdempotencyStatus",
    "IdempotencyStore",
    "LinkCodeRepository",
    "MessageRepository",
    "NotificationRepository",
    "OrderRepository",
    "PositionRepository",
    "Prices",
    "QuoteRepository",
    "RiskBookRepository",
    "SettingsRepository",
    "SignalSourceRepository",
    "Store",
    "UnitOfWork",
]
