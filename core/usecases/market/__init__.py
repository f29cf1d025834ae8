"""Market data and the events of the streams: quotes, the resting orders and alerts a quote reaches, alerts set
and cancelled, order and system events, and signals from outside systems.

Consistency: the streams deliver at least once, so every effect is keyed and a repeat is a no-op. A quote is
kept only if newer than the stored one, and applied per symbol in one unit of work with the orders it worked
and the alerts it fired (``quotes``); a fill is booked by its fill id, an order update by the state the order
is already in, a system event or a signal by its envelope id (``order_events``, ``signals``). A batch reports
its failed records for redelivery (``ingest``). The in-memory indexes of a warm consumer hold copies only:
an order or alert is re-read in the unit before it is worked. Re-exports load on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.usecases._lazy import lazy_exports

if TYPE_CHECKING:  # a function exported under its module's name: tell the checker which one a door gets
    from core.usecases.market.ingest import ingest as ingest

_EXPORTS = {
    "AlertEngine": "alert_engine",
    "BatchReport": "ingest",
    "accept_signal": "signals:accept",
    "apply_quote": "quotes",
    "delete_alert": "alerts",
    "ingest": "ingest",
    "list_alerts": "alerts",
    "on_quote": "quotes",
    "register_signal_source": "signals:register_source",
    "set_alert": "alerts",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
