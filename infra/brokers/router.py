"""The broker every use case is handed: each account's orders go to its venue, paper unless configured otherwise.

Parley's paper broker works the orders of paper accounts on every quote; a real venue works its own orders, so
quotes never touch them (reconciliation reads what the venue did). Live venues take new orders and changes
only with both keys turned (core/venues.py); a cancel always goes through, since it only takes risk off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from core.accounts import Account
from core.errors import ParleyError
from core.instruments import Instrument, InstrumentCatalog
from core.market import Quote
from core.orders import Order, Side
from core.ports.broker import Broker, BrokerEvent, EventKind
from core.ports.store import Store
from core.ports.venue import VenueBroker, VenueDirectory
from core.venues import PAPER, LiveTradingDisabled, Venue, live_refusal
from infra.brokers.config import BrokerConfigError, credentials, parse_accounts, venue_broker
from infra.brokers.paper import PaperBroker
from infra.brokers.remote import RemoteBroker
from infra.settings import Settings

log = logging.getLogger("parley.brokers")


class BrokerRouter(Broker, VenueDirectory):
    name = "router"

    def __init__(
        self, paper: Broker, venues: dict[str, Venue], *, build: Callable[[str, Venue], Broker],
        account: Callable[[str], Account], live_trading: bool = False,
    ) -> None:
        self.paper = paper
        self.venues = {account_id: venue for account_id, venue in venues.items() if venue.name != PAPER.name}
        self.build = build
        self.account = account
        self.live_trading = live_trading
        self._brokers: dict[str, Broker] = {}

    def venue_for(self, account_id: str) -> Venue:
        return self.venues.get(account_id, PAPER)

    def broker_for(self, account_id: str) -> Broker:
        venue = self.venue_for(account_id)
        if venue.name == PAPER.name:
            return self.paper
        broker = self._brokers.get(account_id)
        if broker is None:
            broker = self._brokers[account_id] = self.build(account_id, venue)
        return broker

    def refusal(self, account_id: str) -> str | None:
        venue = self.venue_for(account_id)
        if not venue.live:
            return None
        return live_refusal(venue, self.live_trading, self.account(account_id).live_trading)

    # -- the broker port ---------------------------------------------------------------------------

    def submit(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        refusal = self.refusal(order.account_id)
        if refusal is not None:
            return [BrokerEvent(kind=EventKind.REJECTED, order_id=order.id, time=now, reason=refusal)]
        return self.broker_for(order.account_id).submit(order, quote, now)

    def cancel(self, order: Order, now: datetime) -> list[BrokerEvent]:
        return self.broker_for(order.account_id).cancel(order, now)

    def modify(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        refusal = self.refusal(order.account_id)
        if refusal is not None:
            raise LiveTradingDisabled(refusal[:1].upper() + refusal[1:] + ".", account_id=order.account_id)
        return self.broker_for(order.account_id).modify(order, quote, now)

    def on_quote(self, orders: list[Order], quote: Quote, now: datetime) -> list[BrokerEvent]:
        """Only paper accounts' orders are worked on Parley's quotes."""
        on_paper = [o for o in orders if o.account_id not in self.venues]
        return self.paper.on_quote(on_paper, quote, now) if on_paper else []

    def market_price(self, account_id: str, side: Side, quote: Quote, instrument: Instrument) -> Decimal:
        return self.broker_for(account_id).market_price(account_id, side, quote, instrument)

    def fresh_quote(self, account_id: str, symbol: str) -> Quote | None:
        """A quote from the account's venue; None for paper accounts, and for a live venue before both keys are
        turned (as ``listed``: its credentials stay unused, market data included)."""
        if account_id not in self.venues or self.refusal(account_id) is not None:
            return None
        broker = self.broker_for(account_id)
        try:
            if isinstance(broker, VenueBroker):
                return broker.quote(symbol)
            return broker.fresh_quote(account_id, symbol)
        except ParleyError as exc:  # no quote from the venue: the gate says the stream has none fresh
            log.info("no quote for %s from %s (%s)", symbol, self.venue_for(account_id), exc.code)
            return None

    def listed(self, account_id: str, symbol: str) -> Instrument | None:
        """The venue's listing (cached by its adapter); None for paper accounts, which trade the shipped catalog, and
        for a live venue before both keys are turned (its orders are refused, so its credentials stay unused)."""
        if account_id not in self.venues or self.refusal(account_id) is not None:
            return None
        broker = self.broker_for(account_id)
        if isinstance(broker, VenueBroker):
            return broker.instrument(symbol)
        return broker.listed(account_id, symbol)

    # -- reconciliation ----------------------------------------------------------------------------

    def venue_accounts(self) -> list[str]:
        return sorted(self.venues)

    def venue_broker(self, account_id: str) -> VenueBroker:
        broker = self.broker_for(account_id)
        if not isinstance(broker, VenueBroker):
            raise BrokerConfigError(f"Account {account_id}'s venue is reached remotely here; reconcile where the "
                                    "venue adapters are installed.", account_id=account_id)
        return broker


def build_broker(settings: Settings, store: Store, catalog: InstrumentCatalog, clock: Callable[[], datetime]) -> Broker:
    """The paper broker, routed per account when PARLEY_BROKER_ACCOUNTS names accounts on real venues. Where
    PARLEY_BROKER_FUNCTION is set, venues are reached through that function (which holds the adapters)."""
    paper = PaperBroker(slippage_bps=settings.slippage_bps, instruments=catalog)
    venues = parse_accounts(settings.broker_accounts)
    if not any(venue.name != PAPER.name for venue in venues.values()):
        return paper

    def build(account_id: str, venue: Venue) -> Broker:
        if settings.broker_function:
            return RemoteBroker(settings.broker_function)
        return venue_broker(venue, credentials(settings, account_id, venue), catalog, clock)

    return BrokerRouter(paper, venues, build=build, account=store.accounts.get, live_trading=settings.live_trading)
