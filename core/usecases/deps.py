"""What every use case is handed: the store (and its units of work), the broker port, the catalog, a clock and
the trading sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from core.instruments import InstrumentCatalog
from core.orders import utcnow
from core.ports.broker import Broker
from core.ports.store import Store
from core.sessions import Sessions


@dataclass(frozen=True)
class Deps:
    store: Store
    broker: Broker
    catalog: InstrumentCatalog = field(default_factory=InstrumentCatalog.default)
    clock: Callable[[], datetime] = utcnow
    sessions: Sessions = field(default_factory=Sessions.exchange)

    def now(self) -> datetime:
        return self.clock()
