"""The alert engine on a warm consumer: crossings found from a batch's price path, every alert kind, repeats
with a cooldown, and how the in-memory index learns of alerts set and cancelled elsewhere."""

from __future__ import annotations

from decimal import Decimal as D

from core import usecases as uc
from core.alerts import AlertCondition, AlertStatus, RiskMeasure
from core.market import Quote
from core.notifications import NotificationKind
from core.usecases.alert_engine import AlertEngine
from core.usecases.market import apply_quote
from tests.support import Clock, order


def quote(clock: Clock, symbol: str, price: str, seconds: float = 1) -> Quote:
    clock.advance(seconds=seconds)
    p = D(price)
    return Quote(symbol=symbol, bid=p - D("0.01"), ask=p + D("0.01"), last=p, time=clock.now)


def batch(service: uc.Deps, engine: AlertEngine, clock: Clock, symbol: str, *prices: str, seconds: float = 1):
    """One batch on ``symbol``, ``seconds`` after the last, whose marks were ``prices`` (the last one kept)."""
    engine.refresh(service, [symbol])
    marks = [D(p) for p in prices]
    return apply_quote(service, engine, quote(clock, symbol, prices[-1], seconds), min(marks), max(marks))


def alert_notes(service: uc.Deps, account: str = "alice") -> list[str]:
    return [n.text for n in uc.list_notifications(service, account) if n.kind is NotificationKind.ALERT]


def test_an_alert_crossed_inside_a_batch_fires_though_the_last_price_is_back_below(service, clock) -> None:
    engine = AlertEngine()
    batch(service, engine, clock, "AAPL", "190")
    alert = uc.set_alert(service, "alice", "AAPL", AlertCondition.ABOVE, D("195"))
    below = uc.set_alert(service, "alice", "AAPL", AlertCondition.BELOW, D("185"))

    outcome = batch(service, engine, clock, "AAPL", "191", "196.5", "192")

    assert [a.id for a in outcome.fired] == [alert.id]
    fired = uc.list_alerts(service, "alice")
    assert {a.id: a.status for a in fired} == {alert.id: AlertStatus.TRIGGERED, below.id: AlertStatus.ACTIVE}
    assert next(a for a in fired if a.id == alert.id).triggered_price == D("196.5")
    assert alert_notes(service) == [f"Alert {alert.id}: AAPL above 195 (at 196.50)."]


def test_a_one_shot_alert_fires_once_and_a_redelivered_batch_fires_nothing(service, clock) -> None:
    engine = AlertEngine()
    uc.set_alert(service, "alice", "AAPL", AlertCondition.BELOW, D("180"))
    first = batch(service, engine, clock, "AAPL", "179")
    again = apply_quote(service, engine, quote(clock, "AAPL", "178", seconds=0), D("178"), D("178"))
    later = batch(service, engine, clock, "AAPL", "170")
    assert len(first.fired) == 1
    assert again.stale and not again.fired
    assert not later.fired
    assert len(alert_notes(service)) == 1


def test_a_repeating_alert_waits_out_its_cooldown_between_firings(service, clock) -> None:
    engine = AlertEngine()
    alert = uc.set_alert(service, "alice", "NG", AlertCondition.ABOVE, D("3.5"), repeat=True, cooldown_seconds=60)
    fired = [len(batch(service, engine, clock, "NG", "3.6", seconds=s).fired) for s in (1, 30, 31, 59, 2)]
    assert fired == [1, 0, 1, 0, 1]
    stored = next(a for a in uc.list_alerts(service, "alice") if a.id == alert.id)
    assert (stored.status, stored.trigger_count) == (AlertStatus.ACTIVE, 3)
    assert len(alert_notes(service)) == 3


def test_a_percent_move_from_the_price_when_set_fires_either_way(service, clock) -> None:
    engine = AlertEngine()
    batch(service, engine, clock, "CL", "70.00")
    up = uc.set_alert(service, "alice", "CL", AlertCondition.PCT_MOVE, D("5"))
    assert not batch(service, engine, clock, "CL", "73.40", "67.00").fired
    assert [a.id for a in batch(service, engine, clock, "CL", "66.40", "71").fired] == [up.id]


def test_a_percent_move_within_a_window_fires_on_the_range_of_that_window_only(service, clock) -> None:
    engine = AlertEngine()
    batch(service, engine, clock, "BTC-USD", "60000")
    alert = uc.set_alert(service, "alice", "BTC-USD", AlertCondition.PCT_MOVE, D("5"), window_seconds=600)
    assert not batch(service, engine, clock, "BTC-USD", "61000").fired
    assert not batch(service, engine, clock, "BTC-USD", "62500", seconds=700).fired  # the 60000 left the window
    outcome = batch(service, engine, clock, "BTC-USD", "59400", seconds=60)  # 62500 -> 59400: 5.2% of the low
    assert [a.id for a in outcome.fired] == [alert.id]


def _long_ten_aapl_at(service, clock, price: str) -> None:
    batch(service, AlertEngine(), clock, "AAPL", price)
    uc.place_order(service, "alice", order("AAPL", "buy", "10"), idempotency_key=f"buy-{price}")


def test_position_pnl_alerts_fire_on_the_positions_profit_or_loss(service, clock) -> None:
    _long_ten_aapl_at(service, clock, "200")
    engine = AlertEngine()
    gain = uc.set_alert(service, "alice", "AAPL", AlertCondition.PNL_ABOVE, D("100"))
    loss = uc.set_alert(service, "alice", "AAPL", AlertCondition.PNL_BELOW, D("-50"))
    assert not batch(service, engine, clock, "AAPL", "205", "196").fired  # +49.9 best, -40.1 worst
    assert [a.id for a in batch(service, engine, clock, "AAPL", "210.02").fired] == [gain.id]
    assert [a.id for a in batch(service, engine, clock, "AAPL", "194.99").fired] == [loss.id]


def test_a_pnl_alert_without_a_position_does_not_fire(service, clock) -> None:
    engine = AlertEngine()
    uc.set_alert(service, "alice", "AAPL", AlertCondition.PNL_BELOW, D("-1"))
    assert not batch(service, engine, clock, "AAPL", "1", "999").fired


def test_a_risk_usage_alert_fires_when_the_position_uses_that_share_of_its_limit(service, clock) -> None:
    account = uc.get_account(service, "ops")
    limits = account.limits.model_copy(update={"max_position_quantity": D("20")})
    uc.set_limits(service, account, "alice", limits)
    _long_ten_aapl_at(service, clock, "200")
    engine = AlertEngine()
    half = uc.set_alert(service, "alice", "AAPL", AlertCondition.RISK_ABOVE, D("50"),
                        risk_limit=RiskMeasure.POSITION)
    most = uc.set_alert(service, "alice", "AAPL", AlertCondition.RISK_ABOVE, D("75"),
                        risk_limit=RiskMeasure.POSITION)
    assert [a.id for a in batch(service, engine, clock, "AAPL", "201").fired] == [half.id]
    assert most.status is AlertStatus.ACTIVE


def test_a_warm_index_learns_of_alerts_set_and_cancelled_after_it_loaded(service, clock) -> None:
    engine = AlertEngine()
    batch(service, engine, clock, "AAPL", "190")  # the symbol is loaded, with no alerts
    added = uc.set_alert(service, "alice", "AAPL", AlertCondition.ABOVE, D("191"))
    dropped = uc.set_alert(service, "alice", "AAPL", AlertCondition.ABOVE, D("191"))
    uc.delete_alert(service, "alice", dropped.id)
    assert [a.id for a in batch(service, engine, clock, "AAPL", "192").fired] == [added.id]
    assert {a.id: a.status for a in uc.list_alerts(service, "alice", include_cancelled=True)} == {
        added.id: AlertStatus.TRIGGERED, dropped.id: AlertStatus.CANCELLED,
    }


def test_two_consumers_never_fire_one_alert_twice(service, clock) -> None:
    """Firings are not logged: the second consumer's copy is stale, and the re-read before firing stops it."""
    first, second = AlertEngine(), AlertEngine()
    alert = uc.set_alert(service, "alice", "AAPL", AlertCondition.ABOVE, D("191"))
    for engine in (first, second):
        engine.refresh(service, ["AAPL"])
    assert [a.id for a in batch(service, first, clock, "AAPL", "192").fired] == [alert.id]
    assert not batch(service, second, clock, "AAPL", "193").fired
    assert len(alert_notes(service)) == 1
    assert second.index.candidates("AAPL", D("193"), D("193"), clock.now) == []


def test_an_alert_set_on_an_unknown_combination_is_refused_with_a_reason(service) -> None:
    import pytest

    from core.errors import InvalidRequest

    with pytest.raises(InvalidRequest, match="only a pct_move alert takes a window"):
        uc.set_alert(service, "alice", "AAPL", AlertCondition.ABOVE, D("1"), window_seconds=60)
    with pytest.raises(InvalidRequest, match="positive threshold"):
        uc.set_alert(service, "alice", "AAPL", AlertCondition.BELOW, D("-1"))
