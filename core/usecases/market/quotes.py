"""New market prices: keep the quote, work the resting orders it reaches, fire the alerts its path crossed.

One unit of work per symbol holds the quote and everything it caused. The quote goes in only if it is newer
than the stored one, so it is the guard of its effects: a redelivered or older quote is refused (at once, or
at commit on DynamoDB) and takes its effects with it, and nothing happens twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.alerts import Alert
from core.errors import StaleQuote
from core.market import Quote
from core.orders import Order
from core.usecases.common.deps import Deps
from core.usecases.market.alert_engine import AlertEngine, PricePath


@dataclass
class QuoteOutcome:
    stale: bool = False
    changed: list[Order] = field(default_factory=list)
    fired: list[Alert] = field(default_factory=list)


def apply_quote(deps: Deps, engine: AlertEngine, quote: Quote, low: Decimal, high: Decimal) -> QuoteOutcome:
    """``quote`` is the latest of a batch whose marks on its symbol ranged from ``low`` to ``high``."""
    path = PricePath(quote.symbol, min(low, quote.mark), max(high, quote.mark), quote.mark, quote.time)
    with deps.store.unit() as uow:
        if not uow.quotes.put(quote):
            return QuoteOutcome(stale=True)
        worked = engine.orders.work(deps, uow, quote)
        evaluation = engine.evaluate(deps, uow, path)
        try:
            uow.commit()
        except StaleQuote:
            return QuoteOutcome(stale=True)
    engine.orders.settle(worked)
    engine.settle(evaluation)
    return QuoteOutcome(changed=worked.changed, fired=evaluation.fired)


def on_quote(deps: Deps, quote: Quote, engine: AlertEngine | None = None) -> list[Order]:
    """One quote on its own (a batch of one). Returns the orders it changed; a quote no newer than the stored
    one changes nothing. Without ``engine`` a cold one reads the symbol's alerts from the store."""
    deps.catalog.get(quote.symbol)
    engine = engine or AlertEngine()
    engine.refresh(deps, [quote.symbol])
    return apply_quote(deps, engine, quote, quote.mark, quote.mark).changed
