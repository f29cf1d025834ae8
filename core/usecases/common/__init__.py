"""What every group of use cases shares: the dependencies a use case is handed (``Deps``), the retry of a unit
of work that met another writer, the audit journal and idempotent creation.

Consistency: none of its own. These helpers run inside the caller's unit of work (the journal writes in it,
``idempotent`` keys the caller's create) or around it (``on_conflict`` reruns the whole unit on a version
conflict, within the invocation's deadline). Re-exports load on first use."""

from __future__ import annotations

from core.usecases._lazy import lazy_exports

_EXPORTS = {
    "Deps": "deps",
    "catalog_for": "deps",
    "deadline_in": "retry",
    "on_conflict": "retry",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
