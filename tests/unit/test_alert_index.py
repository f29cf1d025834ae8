"""The in-memory alert index: which alerts a price path from low to high crossed, kept current by the store's
change log, and loaded per symbol without losing a change the load's read had not seen yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from core.alert_index import AlertIndex
from core.alerts import Alert, AlertChange, AlertCondition, AlertStatus

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def alert(alert_id: str, condition: str, threshold: str, **fields) -> Alert:
    return Alert(id=alert_id, account_id="alice", symbol=fields.pop("symbol", "AAPL"),
                 condition=AlertCondition(condition), threshold=D(threshold), created_at=T0, **fields)


def ids(alerts: list[Alert]) -> list[str]:
    return sorted(a.id for a in alerts)


def test_a_path_crosses_the_above_levels_up_to_its_high_and_the_below_levels_down_to_its_low() -> None:
    index = AlertIndex()
    index.load("AAPL", [alert(f"up{p}", "above", p) for p in ("190", "195", "200", "195")]
               + [alert(f"dn{p}", "below", p) for p in ("180", "185", "189.99")])
    assert ids(index.candidates("AAPL", D("190"), D("195"), T0)) == ["up190", "up195"]
    assert ids(index.candidates("AAPL", D("185"), D("189"), T0)) == ["dn185", "dn189.99"]
    assert index.candidates("AAPL", D("190"), D("189.999"), T0) == []
    assert index.candidates("MSFT", D("1"), D("1000"), T0) == []


def test_a_percent_move_from_a_fixed_price_is_one_alert_on_two_levels() -> None:
    index = AlertIndex()
    index.load("CL", [alert("m", "pct_move", "10", symbol="CL", reference_price=D("70"))])
    assert index.candidates("CL", D("63.01"), D("76.99"), T0) == []
    assert ids(index.candidates("CL", D("63"), D("77"), T0)) == ["m"]
    index.update(alert("m", "pct_move", "10", symbol="CL", reference_price=D("70"), status=AlertStatus.TRIGGERED))
    assert index.candidates("CL", D("1"), D("1000"), T0) == []
    assert len(index) == 0


def test_position_alerts_come_with_every_path_and_cooling_alerts_with_none() -> None:
    index = AlertIndex()
    resting = alert("r", "above", "100", repeat=True, cooldown_seconds=60, triggered_at=T0)
    index.load("AAPL", [alert("p", "pnl_below", "-50"), resting])
    assert ids(index.candidates("AAPL", D("150"), D("150"), T0 + timedelta(seconds=59))) == ["p"]
    assert ids(index.candidates("AAPL", D("150"), D("150"), T0 + timedelta(seconds=60))) == ["p", "r"]


def test_change_log_entries_are_applied_in_order_and_kept_for_symbols_loaded_later() -> None:
    index = AlertIndex()
    index.load("AAPL", [])
    added = alert("a", "above", "100")
    other = alert("o", "above", "100", symbol="MSFT")
    index.apply([AlertChange(seq=1, alert=added, time=T0), AlertChange(seq=2, alert=other, time=T0),
                 AlertChange(seq=3, alert=added.model_copy(update={"status": AlertStatus.CANCELLED}), time=T0)], T0)
    assert index.cursor == 3
    assert index.candidates("AAPL", D("1"), D("1000"), T0) == []
    index.load("MSFT", [])  # the store's index query had not caught up with "o" yet
    assert ids(index.candidates("MSFT", D("1"), D("1000"), T0)) == ["o"]
