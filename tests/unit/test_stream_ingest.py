"""A batch of stream envelopes, applied (core.usecases.streams): one quote write per symbol, effects keyed so a
redelivered or duplicated record changes nothing, malformed records skipped by reason, and the records a
store failure kept from their effect reported for a retry."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal as D
from typing import Any

from core import usecases as uc
from core.alerts import AlertCondition
from core.audit import AuditKind
from core.envelope import Envelope
from core.errors import StoreError
from core.notifications import NotificationKind
from core.usecases.alert_engine import AlertEngine
from core.usecases.streams import ingest
from infra.brokers.paper import PaperBroker
from infra.stores.memory import MemoryStore
from infra.stores.sqlite import open_sqlite_store
from tests.support import Clock, order


def env(kind: str, event_id: str, time: datetime, **data: Any) -> Envelope:
    return Envelope(type=kind, id=event_id, source="test-feed", time=time, data=data)


def quote_env(event_id: str, time: datetime, symbol: str, bid: str | None, ask: str | None, **more: Any) -> Envelope:
    return env("market.quote", event_id, time, symbol=symbol, bid=bid, ask=ask, **more)


def test_one_quote_write_per_symbol_however_many_records(clock, monkeypatch) -> None:
    from infra.stores.memory import market as memory

    writes: list[str] = []
    put = memory.MemoryQuotes.put
    monkeypatch.setattr(memory.MemoryQuotes, "put", lambda self, quote: writes.append(quote.symbol) or put(self, quote))
    deps = uc.Deps(store=MemoryStore(), broker=PaperBroker(), clock=clock)
    uc.create_account(deps, "alice")
    uc.set_alert(deps, "alice", "CL", AlertCondition.BELOW, D("99"))  # CL's path reaches it: CL gets its own unit
    envelopes = [quote_env(f"q{i}", clock.now + timedelta(milliseconds=i), ("AAPL", "MSFT", "CL")[i % 3],
                           "100.00" if i < 297 else "98.00", "100.02" if i < 297 else "98.02") for i in range(300)]
    report = ingest(deps, AlertEngine(), envelopes)
    assert (report.processed, report.alerts_fired) == (300, 1)
    assert sorted(writes) == ["AAPL", "CL", "MSFT"]


def test_an_older_batch_changes_nothing_and_is_counted_stale(service, clock) -> None:
    ingest(service, AlertEngine(), [quote_env("new", clock.now, "AAPL", "190.00", "190.02")])
    report = ingest(service, AlertEngine(), [quote_env("old", clock.now - timedelta(seconds=5), "AAPL", "1", "2")])
    assert (report.processed, dict(report.skipped)) == (0, {"stale": 1})
    assert service.store.quotes.get("AAPL").bid == D("190.00")


def test_trades_and_last_only_quotes_keep_the_batchs_book_or_stand_for_both_sides(service, clock) -> None:
    t = clock.now
    ingest(service, AlertEngine(), [
        quote_env("b", t, "AAPL", "190.00", "190.04"),
        env("market.trade", "t1", t + timedelta(seconds=1), symbol="AAPL", price="190.03", size="5"),
        env("market.trade", "t2", t + timedelta(seconds=1), symbol="CL", price="70.11"),
        quote_env("l", t + timedelta(seconds=1), "NG", None, None, last="3.512"),
    ])
    aapl, cl, ng = (service.store.quotes.get(s) for s in ("AAPL", "CL", "NG"))
    assert (aapl.bid, aapl.ask, aapl.last) == (D("190.00"), D("190.04"), D("190.03"))
    assert (cl.bid, cl.ask, cl.last) == (D("70.11"), D("70.11"), D("70.11"))
    assert (ng.bid, ng.ask, ng.last) == (D("3.512"), D("3.512"), D("3.512"))


def test_malformed_records_are_skipped_and_counted_by_reason(service, clock) -> None:
    t = clock.now
    report = ingest(service, AlertEngine(), [
        env("market.tick", "u1", t, symbol="AAPL"),
        quote_env("s1", t, "NOPE", "1", "2"),
        quote_env("d1", t, "AAPL", "abc", "2"),
        quote_env("d2", t, "AAPL", "2", "1"),  # crossed
        quote_env("d3", t, "AAPL", "1_0", "11"),
        quote_env("d4", t, "AAPL", "10", None),  # one side only
        env("trade.fill", "d5", t, order_id="X"),
        quote_env("ok", t, "AAPL", "190", "190.02"),
        quote_env("ok", t, "AAPL", "190", "190.02"),
    ])
    assert dict(report.skipped) == {"unknown_type": 1, "unknown_symbol": 1, "bad_data": 5, "duplicate": 1}
    assert report.processed == 1


def test_a_resting_order_fills_on_the_stream_and_its_trader_is_told(service, clock) -> None:
    ingest(service, AlertEngine(), [quote_env("q0", clock.now, "AAPL", "190.00", "190.02")])
    resting = uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="189.50"),
                             idempotency_key="rest")
    clock.advance(seconds=1)
    report = ingest(service, AlertEngine(), [quote_env("q1", clock.now, "AAPL", "189.40", "189.45")])
    assert report.orders_triggered == 1
    assert uc.get_order(service, "alice", resting.id).status.value == "filled"
    assert [n.kind for n in uc.list_notifications(service, "alice")] == [NotificationKind.FILL]


def _resting_limit(service: uc.Deps, clock: Clock) -> str:
    ingest(service, AlertEngine(), [quote_env("q0", clock.now, "AAPL", "190.00", "190.02")])
    return uc.place_order(service, "alice", order("AAPL", "buy", "5", order_type="limit", limit_price="150"),
                          idempotency_key="rest").id


def test_a_fill_from_the_broker_is_booked_once_however_often_it_is_delivered(service, clock) -> None:
    order_id = _resting_limit(service, clock)
    fill = env("trade.fill", "f1", clock.now, order_id=order_id, fill_id="BRK-1", symbol="AAPL", side="buy",
               quantity="2", price="149.90")
    first = ingest(service, AlertEngine(), [fill])
    again = ingest(service, AlertEngine(), [fill.model_copy(update={"id": "f1-redelivered"})])
    assert (first.processed, dict(again.skipped)) == (1, {"duplicate": 1})
    assert [f.quantity for f in service.store.fills.list_for_account("alice")] == [D("2")]
    assert uc.get_order(service, "alice", order_id).filled_quantity == D("2")
    assert service.store.positions.get("alice", "AAPL").quantity == D("2")


def test_an_order_update_applies_once_and_an_unknown_order_is_skipped(service, clock) -> None:
    order_id = _resting_limit(service, clock)
    update = env("order.update", "u1", clock.now, order_id=order_id, status="cancelled", filled_quantity="0",
                 average_price=None)
    assert ingest(service, AlertEngine(), [update]).processed == 1
    assert dict(ingest(service, AlertEngine(), [update]).skipped) == {"duplicate": 1}
    late = update.model_copy(update={"id": "u2", "data": {**update.data, "status": "accepted"}})
    assert dict(ingest(service, AlertEngine(), [late]).skipped) == {"refused": 1}
    stray = update.model_copy(update={"id": "u3", "data": {**update.data, "order_id": "NOPE"}})
    assert dict(ingest(service, AlertEngine(), [stray]).skipped) == {"unknown_order": 1}
    assert uc.get_order(service, "alice", order_id).status.value == "cancelled"


def test_system_and_compliance_events_are_audited_and_told_to_every_admin_once(service, clock) -> None:
    uc.create_account(service, "ops2", role=uc.get_account(service, "ops").role)
    alert = env("system.alert", "sys-1", clock.now, code="feed_gap", message="No AAPL quotes for 30 s",
                severity="critical")
    compliance = env("compliance.event", "cmp-1", clock.now, code="wash_trade", message="Possible wash trade",
                     account_id="alice")
    assert ingest(service, AlertEngine(), [alert, compliance]).processed == 2
    assert dict(ingest(service, AlertEngine(), [alert]).skipped) == {"duplicate": 1}
    for admin in ("ops", "ops2"):
        assert sorted(n.kind.value for n in uc.list_notifications(service, admin)) == [
            "compliance.event", "system.alert"]
    assert uc.list_notifications(service, "alice") == []
    audited = [r for r in service.store.audit.list_for_account("alice") if r.kind is AuditKind.COMPLIANCE]
    assert [r.data["code"] for r in audited] == ["wash_trade"]


class _Unavailable(MemoryStore):
    """The memory store, whose units fail as an unreachable database would while ``down`` names the symbol."""

    down: str | None = None

    def unit(self):
        unit = super().unit()
        if self.down is not None:
            put = unit.quotes.put

            def failing(quote):
                if quote.symbol == self.down:
                    raise StoreError("database is unavailable")
                return put(quote)

            unit.quotes.put = failing
        return unit


def test_a_store_failure_reports_that_symbols_records_and_the_retry_applies_them_once(clock) -> None:
    store = _Unavailable()
    deps = uc.Deps(store=store, broker=PaperBroker(), clock=clock)
    uc.create_account(deps, "alice")
    engine = AlertEngine()
    uc.set_alert(deps, "alice", "MSFT", AlertCondition.ABOVE, D("400"))
    t = clock.now
    records = [quote_env("a", t, "AAPL", "190", "190.02"), quote_env("m1", t, "MSFT", "401", "401.02"),
               quote_env("m2", t + timedelta(seconds=1), "MSFT", "402", "402.02")]
    store.down = "MSFT"
    failed = ingest(deps, engine, records)
    assert (failed.processed, failed.failed, failed.alerts_fired) == (1, {1, 2}, 0)
    store.down = None
    retried = ingest(deps, engine, records)
    assert (retried.processed, dict(retried.skipped), retried.alerts_fired) == (2, {"stale": 1}, 1)
    assert len(uc.list_notifications(deps, "alice")) == 1


def test_concurrent_duplicates_of_one_fill_book_it_once(tmp_path, clock) -> None:
    store = open_sqlite_store(str(tmp_path / "p.db"))
    deps = uc.Deps(store=store, broker=PaperBroker(), clock=clock)
    uc.create_account(deps, "alice")
    order_id = _resting_limit(deps, clock)
    fill = env("trade.fill", "f1", clock.now, order_id=order_id, fill_id="BRK-9", symbol="AAPL", side="buy",
               quantity="1", price="149")
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(ingest(deps, AlertEngine(), [fill])))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.processed for r in reports) == [0, 0, 0, 1]
    assert len(store.fills.list_for_account("alice")) == 1
    assert len(uc.list_notifications(deps, "alice")) == 1
    store.close()
