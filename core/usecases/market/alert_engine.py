"""The alert engine: the index a warm stream consumer keeps across batches, and firing the alerts it finds.

How the index learns of alerts added or removed through the API, the chat or any other process: ``set_alert``
and ``delete_alert`` write the alert to the store's change log in their own unit of work
(``AlertRepository.log_change``, one sequence number per entry, in commit order). Once per batch the engine
reads the log past its cursor (``changes_since``: one query, empty when nothing changed) and applies it. A
symbol's alerts are read from the store the first time a batch brings the symbol; on a cold start the engine
also re-applies the log's last entries, which covers an index read that lags a fresh write.

Firings are not logged: they happen in the consumers themselves. Before firing, the engine re-reads each
candidate in the unit, so a copy made stale by another consumer (fired, cancelled) costs one read and goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.alert_index import AlertIndex
from core.alerts import Alert, AlertCondition, AlertStatus, RiskMeasure
from core.audit import AuditKind
from core.day_pnl import day_base, open_pnl
from core.errors import NotFound
from core.levels import TAIL
from core.portfolio import Position, exposure
from core.ports.store import UnitOfWork
from core.usecases.common.deps import Deps, catalog_for
from core.usecases.common.journal import audit
from core.usecases.market.resting import RestingOrders
from core.usecases.messaging import outbox as notify

ZERO = Decimal(0)


@dataclass(frozen=True)
class PricePath:
    """What a batch showed of one symbol: its lowest and highest mark, and the last, at ``time``."""

    symbol: str
    low: Decimal
    high: Decimal
    last: Decimal
    time: datetime


@dataclass
class Evaluation:
    fired: list[Alert] = field(default_factory=list)
    seen: list[Alert] = field(default_factory=list)  # stored copies read, to refresh the index after commit
    gone: list[Alert] = field(default_factory=list)  # copies of alerts no longer in the store


class AlertEngine:
    """The alert index, and the resting-order index beside it (``orders``): what a warm consumer keeps."""

    def __init__(self) -> None:
        self.index = AlertIndex()
        self.orders = RestingOrders()

    def refresh(self, deps: Deps, symbols: list[str]) -> None:
        """Bring both indexes up to date for a batch on ``symbols`` (see the module docstring)."""
        self.orders.refresh(deps, symbols)
        index = self.index
        if index.cursor is None:
            index.cursor = max(0, deps.store.alerts.last_change() - TAIL)
        index.apply(deps.store.alerts.changes_since(index.cursor), deps.now())
        for symbol in symbols:
            if not index.is_loaded(symbol):
                index.load(symbol, deps.store.alerts.list_active_for_symbol(symbol))

    def may_fire(self, path: PricePath) -> bool:
        """Whether ``path`` reaches any alert of its symbol (a cheap look at the index, no store read)."""
        return bool(self.index.candidates(path.symbol, path.low, path.high, path.time))

    def record(self, path: PricePath) -> None:
        """Remember a path that fired nothing (a windowed move measures the recent path)."""
        self.index.record_path(path.symbol, path.time, path.low, path.high)

    def evaluate(self, deps: Deps, uow: UnitOfWork, path: PricePath) -> Evaluation:
        """Fire, in ``uow``, the alerts ``path`` meets. The index is left alone until ``settle``: if the unit
        does not commit, nothing fired."""
        self.record(path)
        result = Evaluation()
        for copy in self.index.candidates(path.symbol, path.low, path.high, path.time):
            try:
                alert = uow.alerts.get(copy.id)
            except NotFound:
                result.gone.append(copy)
                continue
            if not alert.is_active or (alert.repeat and alert.cooling_down(path.time)):
                result.seen.append(alert)
                continue
            price = self._met_at(deps, uow, alert, path)
            if price is None:
                continue
            result.fired.append(fire(deps, uow, alert, price, path.time))
        return result

    def settle(self, result: Evaluation) -> None:
        """The unit committed: the index takes the fired alerts and the copies read."""
        for alert in [*result.seen, *result.fired]:
            self.index.update(alert)
        for copy in result.gone:
            self.index.update(copy.model_copy(update={"status": AlertStatus.CANCELLED}))

    def _met_at(self, deps: Deps, uow: UnitOfWork, alert: Alert, path: PricePath) -> Decimal | None:
        """The price at which ``alert`` is met on ``path``, or None if it is not."""
        condition = alert.condition
        if alert.window_seconds is not None:
            move = self.index.move_percent(path.symbol, alert.window_seconds, path.time)
            return path.last if move >= alert.threshold else None
        if condition.is_price:
            rise, fall = alert.price_levels()
            if rise is not None and path.high >= rise:
                return path.high
            if fall is not None and path.low <= fall:
                return path.low
            return None
        position = uow.positions.get(alert.account_id, alert.symbol)
        if position is None:
            return None
        instrument = deps.catalog.get(alert.symbol)
        if condition in (AlertCondition.PNL_ABOVE, AlertCondition.PNL_BELOW):
            # The extreme of the path that is best (above) or worst (below) for the position's side.
            favourable = (position.quantity > 0) == (condition is AlertCondition.PNL_ABOVE)
            price = path.high if favourable else path.low
            pnl = position.realised_pnl + position.unrealised_pnl(price, instrument)
            met = pnl >= alert.threshold if condition is AlertCondition.PNL_ABOVE else pnl <= alert.threshold
            return price if met else None
        usage = _usage(deps, uow, alert, position, path)
        return path.last if usage is not None and usage >= alert.threshold else None


def _usage(deps: Deps, uow: UnitOfWork, alert: Alert, position: Position, path: PricePath) -> Decimal | None:
    """Percent of the alert's risk limit the account uses at the path's worst price (None: limit off)."""
    limits = uow.accounts.get(alert.account_id).limits
    worst = path.low if position.quantity > 0 else path.high
    if alert.risk_limit is RiskMeasure.POSITION:
        cap = limits.max_position_quantity
        return abs(position.quantity) / cap * 100 if cap else None
    if alert.risk_limit is RiskMeasure.DAILY_LOSS:
        cap = limits.daily_loss_limit
        return max(-_day_pnl(deps, uow, alert, worst), ZERO) / cap * 100 if cap else None
    cap = limits.max_gross_exposure
    if not cap:
        return None
    held = [p for p in uow.positions.list_for_account(alert.account_id) if p.quantity != 0]
    quotes = uow.quotes.get_many([p.symbol for p in held if p.symbol != alert.symbol])
    gross = ZERO
    catalog = catalog_for(deps, alert.account_id)  # a venue account may hold what only its venue lists
    for p in held:
        mark = path.high if p.symbol == alert.symbol else (quotes[p.symbol].mark if p.symbol in quotes else None)
        gross += exposure(p.quantity, p.average_price, mark, catalog.get(p.symbol).multiplier)
    return gross / cap * 100


def _day_pnl(deps: Deps, uow: UnitOfWork, alert: Alert, price: Decimal) -> Decimal:
    """The account's P&L today as the gate's daily loss check measures it (core.day_pnl: each instrument's day
    from its own start), with the alert's symbol at ``price`` and the others at their marks."""
    held = uow.positions.list_for_account(alert.account_id)
    symbols = sorted({p.symbol for p in held})
    quotes, closes, _ = uow.prices_and_settings(symbols)
    catalog = catalog_for(deps, alert.account_id)
    instruments = {s: catalog.get(s) for s in symbols}
    marks = {s: q.mark for s, q in quotes.items()} | {alert.symbol: price}
    return day_base(held, instruments, deps.sessions, deps.now(), quotes, closes) + open_pnl(held, instruments, marks)


def fire(deps: Deps, uow: UnitOfWork, alert: Alert, price: Decimal, at: datetime) -> Alert:
    """Record a firing in ``uow``: the alert (a one-shot one leaves the active set), its audit record and the
    notification that tells its trader."""
    alert.triggered_at = at
    alert.triggered_price = price
    alert.trigger_count += 1
    if not alert.repeat:
        alert.status = AlertStatus.TRIGGERED
    stored = uow.alerts.update(alert)
    audit(uow, deps.now(), alert.account_id, AuditKind.ALERT, "market", alert_id=alert.id,
          triggered=alert.describe(), price=str(price))
    notify.alert_fired(uow, stored, price, at)
    return stored
