"""What every use case is handed: the store (and its units of work), the broker port, the catalog, a clock, the
trading sessions, each channel's policy and the language port; and the catalog of the account being served
(``catalog_for``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from core.channels import Channel
from core.instruments import Instrument, InstrumentCatalog, ListedCatalog
from core.orders import utcnow
from core.ports.broker import Broker
from core.ports.channel import ChannelPolicy, Policies
from core.ports.language import Language
from core.ports.store import Store
from core.sessions import Sessions
from core.venues import PAPER


@dataclass(frozen=True)
class Deps:
    store: Store
    broker: Broker
    catalog: InstrumentCatalog = field(default_factory=InstrumentCatalog.default)
    clock: Callable[[], datetime] = utcnow
    sessions: Sessions = field(default_factory=Sessions.exchange)
    policies: Policies = field(default_factory=dict)  # channels.policies.policies() from the composition root
    # Words read and answered (agent/language.py), built by the composition root on first use. None where nothing
    # reads words (a bench, a test of the trading rules): the stream use case then leaves signals alone.
    language: Language | None = None

    def now(self) -> datetime:
        return self.clock()

    def policy(self, channel: Channel) -> ChannelPolicy:
        """``channel``'s rules. LookupError when none was given: a message never goes without its channel's
        rules (an SMS that ignored STOP would break the carriers' terms)."""
        try:
            return self.policies[channel]
        except KeyError:
            raise LookupError(f"No {channel.value} policy: build Deps with channels.policies.policies().") from None

    def require_language(self) -> Language:
        """The language port, for a use case that cannot work without it; a Deps built without one is a wiring
        fault (RuntimeError, so the message is retried once the platform is fixed), not the sender's."""
        if self.language is None:
            raise RuntimeError("This platform was built without a language port (Deps.language).")
        return self.language


def catalog_for(deps: Deps, account_id: str) -> InstrumentCatalog:
    """What ``account_id`` trades: the shipped catalog on Parley's paper broker, its venue's listing (tick, lot,
    fractionable and shortable from the venue, cached by the adapter) when configuration puts it on a real venue."""
    if deps.broker.venue_for(account_id).name == PAPER.name:
        return deps.catalog

    def lookup(symbol: str) -> Instrument:
        return deps.broker.listed(account_id, symbol) or deps.catalog.get(symbol)

    return ListedCatalog(lookup, deps.catalog)
