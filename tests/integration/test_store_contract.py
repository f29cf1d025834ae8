"""The storage contract of core/store/ports.py, run against SQLite and DynamoDB (moto) alike."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from core.accounts import Account, SystemSettings
from core.audit import AuditKind, AuditRecord
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, StoreError
from core.market import Quote
from core.orders import Fill, Order, OrderStatus, OrderType, Side
from core.portfolio import Position
from core.ports.store import IdempotencyStatus, Store
from core.risk_limits import RiskLimits
from infra.stores.sqlite import open_sqlite_store

TABLE = "parley-test"  # the table the dynamodb_client fixture creates

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
TINY = Decimal("0.00001")
BIG = Decimal("12345678.123456789")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_account(account_id: str = "acct-1", **fields: Any) -> Account:
    return Account(id=account_id, created_at=T0, **fields)


def make_order(order_id: str = "O1", *, account_id: str = "acct-1", symbol: str = "AAPL", **fields: Any) -> Order:
    created = fields.pop("created_at", T0)
    values: dict[str, Any] = {
        "side": Side.BUY,
        "quantity": Decimal("10"),
        "order_type": OrderType.MARKET,
        "status": OrderStatus.ACCEPTED,
    }
    values |= fields
    return Order(id=order_id, account_id=account_id, symbol=symbol, created_at=created, updated_at=created, **values)


def make_fill(fill_id: str = "F1", *, account_id: str = "acct-1", time: datetime = T0, **fields: Any) -> Fill:
    values: dict[str, Any] = {"order_id": "O1", "symbol": "AAPL", "side": Side.BUY, "quantity": Decimal("1")}
    values |= {"price": Decimal("100")} | fields
    return Fill(id=fill_id, account_id=account_id, time=time, **values)


def make_position(symbol: str = "AAPL", *, account_id: str = "acct-1", **fields: Any) -> Position:
    return Position(account_id=account_id, symbol=symbol, updated_at=T0, **fields)


def make_quote(symbol: str = "AAPL", *, time: datetime = T0, bid: str = "99.5", ask: str = "100.5") -> Quote:
    return Quote(symbol=symbol, bid=Decimal(bid), ask=Decimal(ask), time=time)


def make_audit(record_id: str = "A1", *, account_id: str = "acct-1", time: datetime = T0) -> AuditRecord:
    return AuditRecord(
        id=record_id, time=time, account_id=account_id, kind=AuditKind.ORDER_STATE, actor="tester", data={"n": 1}
    )


def ids(records: list[Any]) -> list[str]:
    return [record.id for record in records]


def assert_utc(moment: datetime) -> None:
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


# Accounts


def test_adding_an_account_stores_version_one_and_returns_a_fresh_copy(store: Store) -> None:
    account = make_account(name="Ada")
    stored = store.accounts.add(account)
    assert stored.version == 1
    assert stored is not account
    assert account.version == 0
    assert store.accounts.get("acct-1") == stored


def test_adding_an_account_twice_raises_already_exists(store: Store) -> None:
    store.accounts.add(make_account())
    with pytest.raises(AlreadyExists):
        store.accounts.add(make_account(name="someone else"))
    assert store.accounts.get("acct-1").name == ""


def test_getting_a_missing_account_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.accounts.get("nobody")


def test_updating_an_account_stores_the_next_version(store: Store) -> None:
    stored = store.accounts.add(make_account())
    stored.name = "Renamed"
    updated = store.accounts.update(stored)
    assert updated.version == 2
    assert store.accounts.get("acct-1") == updated
    assert store.accounts.get("acct-1").name == "Renamed"


def test_updating_an_account_with_a_stale_version_raises_concurrent_update(store: Store) -> None:
    first = store.accounts.add(make_account())
    store.accounts.update(first.model_copy(update={"name": "winner"}))
    with pytest.raises(ConcurrentUpdate):
        store.accounts.update(first.model_copy(update={"name": "loser"}))
    assert store.accounts.get("acct-1").name == "winner"


def test_updating_an_account_that_was_never_added_raises_concurrent_update(store: Store) -> None:
    with pytest.raises(ConcurrentUpdate):
        store.accounts.update(make_account("ghost", version=1))
    with pytest.raises(NotFound):
        store.accounts.get("ghost")


def test_listing_accounts_returns_every_account(store: Store) -> None:
    for account_id in ("carol", "alice", "bob"):
        store.accounts.add(make_account(account_id))
    assert sorted(ids(store.accounts.list())) == ["alice", "bob", "carol"]


def test_account_limits_round_trip_with_exact_decimals(store: Store) -> None:
    limits = RiskLimits(max_order_notional=BIG, price_collar_percent=TINY, restricted_symbols=["GME"])
    store.accounts.add(make_account(starting_cash=BIG, limits=limits))
    got = store.accounts.get("acct-1")
    assert str(got.starting_cash) == str(BIG)
    assert str(got.limits.price_collar_percent) == str(TINY)
    assert got.limits == limits


# Orders


def test_an_order_round_trips_with_exact_decimals(store: Store) -> None:
    order = make_order(quantity=TINY, order_type=OrderType.LIMIT, limit_price=BIG)
    store.orders.add(order)
    got = store.orders.get("O1")
    assert str(got.quantity) == "0.00001"
    assert str(got.limit_price) == "12345678.123456789"
    assert got == order.model_copy(update={"version": 1})


def test_order_times_come_back_as_aware_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    created = datetime(2024, 3, 1, 14, 0, 0, 123456, tzinfo=paris)
    store.orders.add(make_order(created_at=created))
    got = store.orders.get("O1")
    for moment in (got.created_at, got.updated_at):
        assert_utc(moment)
        assert moment == created


def test_adding_an_order_twice_raises_already_exists(store: Store) -> None:
    store.orders.add(make_order())
    with pytest.raises(AlreadyExists):
        store.orders.add(make_order(quantity=Decimal("99")))
    assert store.orders.get("O1").quantity == Decimal("10")


def test_getting_a_missing_order_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.orders.get("missing")


def test_an_order_returned_by_the_store_is_not_the_stored_record(store: Store) -> None:
    stored = store.orders.add(make_order())
    stored.quantity = Decimal("500")
    fetched = store.orders.get("O1")
    fetched.quantity = Decimal("600")
    assert store.orders.get("O1").quantity == Decimal("10")


def test_updating_an_order_increments_its_version_each_time(store: Store) -> None:
    order = store.orders.add(make_order())
    order.record_fill(Decimal("4"), Decimal("101.25"), at(1))
    order = store.orders.update(order)
    assert order.version == 2
    order.record_fill(Decimal("6"), Decimal("101.75"), at(2))
    order = store.orders.update(order)
    assert order.version == 3
    got = store.orders.get("O1")
    assert got.status is OrderStatus.FILLED
    assert got.average_price == Decimal("101.55")
    assert got.version == 3


def test_updating_an_order_with_a_stale_version_raises_concurrent_update(store: Store) -> None:
    order = store.orders.add(make_order())
    store.orders.update(order.model_copy(update={"reason": "first"}))
    with pytest.raises(ConcurrentUpdate):
        store.orders.update(order.model_copy(update={"reason": "second"}))
    assert store.orders.get("O1").reason == "first"


def test_listing_orders_for_an_account_is_newest_first_and_skips_other_accounts(store: Store) -> None:
    for n in (2, 0, 3, 1):
        store.orders.add(make_order(f"O{n}", created_at=at(n)))
    store.orders.add(make_order("X1", account_id="acct-2", created_at=at(5)))
    assert ids(store.orders.list_for_account("acct-1")) == ["O3", "O2", "O1", "O0"]
    assert ids(store.orders.list_for_account("acct-2")) == ["X1"]
    assert store.orders.list_for_account("nobody") == []


def test_listing_orders_since_keeps_orders_created_at_or_after_it(store: Store) -> None:
    for n in range(4):
        store.orders.add(make_order(f"O{n}", created_at=at(n)))
    assert ids(store.orders.list_for_account("acct-1", since=at(2))) == ["O3", "O2"]
    assert ids(store.orders.list_for_account("acct-1", since=at(1.5))) == ["O3", "O2"]
    assert store.orders.list_for_account("acct-1", since=at(10)) == []


def test_listing_open_orders_keeps_only_accepted_and_partially_filled(store: Store) -> None:
    statuses = [
        OrderStatus.NEW,
        OrderStatus.PENDING_CONFIRMATION,
        OrderStatus.ACCEPTED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
        OrderStatus.CANCELLED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
    ]
    for n, status in enumerate(statuses):
        store.orders.add(make_order(f"O{n}", created_at=at(n), status=status))
    assert ids(store.orders.list_for_account("acct-1", open_only=True)) == ["O3", "O2"]
    assert len(store.orders.list_for_account("acct-1")) == len(statuses)


def test_listing_orders_with_a_limit_returns_the_newest_ones(store: Store) -> None:
    for n in range(6):
        status = OrderStatus.ACCEPTED if n % 2 else OrderStatus.CANCELLED
        store.orders.add(make_order(f"O{n}", created_at=at(n), status=status))
    assert ids(store.orders.list_for_account("acct-1", limit=2)) == ["O5", "O4"]
    assert ids(store.orders.list_for_account("acct-1", open_only=True, limit=2)) == ["O5", "O3"]
    assert ids(store.orders.list_for_account("acct-1", since=at(2), open_only=True, limit=5)) == ["O5", "O3"]
    assert ids(store.orders.list_for_account("acct-1", limit=100)) == ["O5", "O4", "O3", "O2", "O1", "O0"]


def test_open_orders_for_a_symbol_span_accounts_oldest_first(store: Store) -> None:
    store.orders.add(make_order("late", account_id="acct-2", created_at=at(3)))
    store.orders.add(make_order("early", created_at=at(1)))
    store.orders.add(make_order("partial", created_at=at(2), status=OrderStatus.PARTIALLY_FILLED))
    store.orders.add(make_order("pending", created_at=at(0), status=OrderStatus.PENDING_CONFIRMATION))
    store.orders.add(make_order("done", created_at=at(0), status=OrderStatus.FILLED))
    store.orders.add(make_order("other", symbol="MSFT", created_at=at(0)))
    assert ids(store.orders.list_open_for_symbol("AAPL")) == ["early", "partial", "late"]
    assert ids(store.orders.list_open_for_symbol("MSFT")) == ["other"]
    assert store.orders.list_open_for_symbol("TSLA") == []


def test_an_order_joins_the_open_set_when_accepted_and_leaves_it_when_filled_or_cancelled(store: Store) -> None:
    filled = store.orders.add(make_order("F", status=OrderStatus.NEW, created_at=at(0)))
    cancelled = store.orders.add(make_order("C", status=OrderStatus.NEW, created_at=at(1)))
    assert store.orders.list_open_for_symbol("AAPL") == []

    filled.transition(OrderStatus.ACCEPTED, at(2))
    filled = store.orders.update(filled)
    cancelled.transition(OrderStatus.ACCEPTED, at(2))
    cancelled = store.orders.update(cancelled)
    assert ids(store.orders.list_open_for_symbol("AAPL")) == ["F", "C"]

    filled.record_fill(Decimal("10"), Decimal("100"), at(3))
    store.orders.update(filled)
    assert ids(store.orders.list_open_for_symbol("AAPL")) == ["C"]
    cancelled.transition(OrderStatus.CANCELLED, at(4))
    store.orders.update(cancelled)
    assert store.orders.list_open_for_symbol("AAPL") == []
    assert store.orders.list_for_account("acct-1", open_only=True) == []


# Fills


def test_a_fill_is_recorded_once_per_id(store: Store) -> None:
    store.fills.add(make_fill(price=BIG, quantity=TINY))
    with pytest.raises(AlreadyExists):
        store.fills.add(make_fill(price=Decimal("1"), time=at(30)))
    [fill] = store.fills.list_for_account("acct-1")
    assert str(fill.price) == str(BIG)
    assert str(fill.quantity) == str(TINY)
    assert fill.time == T0
    assert_utc(fill.time)


def test_fills_are_listed_oldest_first_for_their_account_only(store: Store) -> None:
    for n in (3, 1, 2):
        store.fills.add(make_fill(f"F{n}", time=at(n)))
    store.fills.add(make_fill("X", account_id="acct-2", time=at(0)))
    assert ids(store.fills.list_for_account("acct-1")) == ["F1", "F2", "F3"]
    assert ids(store.fills.list_for_account("acct-2")) == ["X"]


def test_listing_fills_since_keeps_fills_at_or_after_it(store: Store) -> None:
    for n in range(4):
        store.fills.add(make_fill(f"F{n}", time=at(n)))
    assert ids(store.fills.list_for_account("acct-1", since=at(2))) == ["F2", "F3"]
    assert ids(store.fills.list_for_account("acct-1", since=at(0.5))) == ["F1", "F2", "F3"]
    assert store.fills.list_for_account("acct-1", since=at(9)) == []


# Positions


def test_a_missing_position_is_none(store: Store) -> None:
    assert store.positions.get("acct-1", "AAPL") is None


def test_saving_a_new_position_inserts_version_one_then_increments(store: Store) -> None:
    saved = store.positions.save(make_position(quantity=Decimal("-3"), average_price=BIG))
    assert saved.version == 1
    saved.quantity += TINY
    again = store.positions.save(saved)
    assert again.version == 2
    got = store.positions.get("acct-1", "AAPL")
    assert got == again
    assert str(got.quantity) == "-2.99999"
    assert str(got.average_price) == str(BIG)
    assert_utc(got.updated_at)


def test_saving_a_position_with_a_stale_version_raises_concurrent_update(store: Store) -> None:
    first = store.positions.save(make_position())
    store.positions.save(first.model_copy(update={"quantity": Decimal("1")}))
    with pytest.raises(ConcurrentUpdate):
        store.positions.save(first.model_copy(update={"quantity": Decimal("2")}))
    with pytest.raises(ConcurrentUpdate):
        store.positions.save(make_position(quantity=Decimal("3")))
    assert store.positions.get("acct-1", "AAPL").quantity == Decimal("1")


def test_positions_are_listed_per_account(store: Store) -> None:
    store.positions.save(make_position("MSFT"))
    store.positions.save(make_position("AAPL"))
    store.positions.save(make_position("AAPL", account_id="acct-2"))
    assert sorted(p.symbol for p in store.positions.list_for_account("acct-1")) == ["AAPL", "MSFT"]
    assert [p.account_id for p in store.positions.list_for_account("acct-2")] == ["acct-2"]
    assert store.positions.list_for_account("nobody") == []


# Quotes


def test_a_quote_is_kept_and_read_back_exactly(store: Store) -> None:
    assert store.quotes.put(make_quote(bid="0.00001", ask="12345678.123456789")) is True
    got = store.quotes.get("AAPL")
    assert got is not None
    assert (str(got.bid), str(got.ask)) == ("0.00001", "12345678.123456789")
    assert_utc(got.time)
    assert store.quotes.get("MSFT") is None


def test_a_quote_is_kept_only_when_newer_than_the_stored_one(store: Store) -> None:
    assert store.quotes.put(make_quote(time=at(10), bid="100", ask="101")) is True
    assert store.quotes.put(make_quote(time=at(5), bid="1", ask="2")) is False
    assert store.quotes.put(make_quote(time=at(10), bid="3", ask="4")) is False
    assert store.quotes.get("AAPL").bid == Decimal("100")
    assert store.quotes.put(make_quote(time=at(10.000001), bid="5", ask="6")) is True
    assert store.quotes.get("AAPL").bid == Decimal("5")


def test_get_many_returns_the_known_symbols_only(store: Store) -> None:
    store.quotes.put(make_quote("AAPL"))
    store.quotes.put(make_quote("MSFT", bid="300", ask="301"))
    got = store.quotes.get_many(["AAPL", "MSFT", "TSLA", "AAPL"])
    assert sorted(got) == ["AAPL", "MSFT"]
    assert got["MSFT"].ask == Decimal("301")
    assert store.quotes.get_many([]) == {}


def test_get_many_handles_more_symbols_than_one_batch(store: Store) -> None:
    symbols = [f"S{n:03d}" for n in range(130)]
    for symbol in symbols[::2]:
        store.quotes.put(make_quote(symbol))
    assert sorted(store.quotes.get_many(symbols)) == symbols[::2]


# Audit


def test_the_audit_log_lists_an_account_chronologically(store: Store) -> None:
    for n in (2, 0, 1):
        store.audit.append(make_audit(f"A{n}", time=at(n)))
    store.audit.append(make_audit("X", account_id="acct-2", time=at(0)))
    records = store.audit.list_for_account("acct-1")
    assert ids(records) == ["A0", "A1", "A2"]
    assert records[0] == make_audit("A0", time=at(0))
    assert_utc(records[0].time)
    assert ids(store.audit.list_for_account("acct-1", limit=2)) == ["A0", "A1"]


def test_appending_an_audit_record_twice_raises_already_exists(store: Store) -> None:
    store.audit.append(make_audit())
    with pytest.raises(AlreadyExists):
        store.audit.append(make_audit(time=at(60)))
    assert ids(store.audit.list_for_account("acct-1")) == ["A1"]


def test_the_audit_log_offers_no_way_to_change_or_remove_records(store: Store) -> None:
    public = {name for name in dir(store.audit) if not name.startswith("_")}
    assert not {name for name in public if any(word in name for word in ("update", "delete", "remove", "put"))}


# Idempotency


def test_claiming_a_key_twice_returns_the_live_record(store: Store) -> None:
    assert store.idempotency.claim("k1", "fp-1", now=T0, ttl_seconds=60) is None
    live = store.idempotency.claim("k1", "fp-2", now=at(30), ttl_seconds=60)
    assert live is not None
    assert (live.key, live.fingerprint, live.status) == ("k1", "fp-1", IdempotencyStatus.IN_PROGRESS)
    assert live.expires_at == at(60)
    assert_utc(live.expires_at)


def test_an_expired_claim_can_be_claimed_again(store: Store) -> None:
    assert store.idempotency.claim("k1", "fp-1", now=T0, ttl_seconds=60) is None
    assert store.idempotency.claim("k1", "fp-2", now=at(59.999999), ttl_seconds=60) is not None
    assert store.idempotency.claim("k1", "fp-3", now=at(60), ttl_seconds=60) is None
    live = store.idempotency.claim("k1", "fp-4", now=at(61), ttl_seconds=60)
    assert live is not None
    assert live.fingerprint == "fp-3"


def test_completing_a_claim_stores_its_result(store: Store) -> None:
    store.idempotency.claim("k1", "fp-1", now=T0, ttl_seconds=60)
    store.idempotency.complete("k1", {"order_id": "O1", "status": 201})
    live = store.idempotency.claim("k1", "fp-1", now=at(1), ttl_seconds=60)
    assert live is not None
    assert live.status is IdempotencyStatus.COMPLETED
    assert live.result == {"order_id": "O1", "status": 201}
    assert live.expires_at == at(60)


def test_completing_an_unknown_key_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.idempotency.complete("never-claimed", {})


def test_releasing_a_claim_lets_the_key_be_claimed_again(store: Store) -> None:
    store.idempotency.claim("k1", "fp-1", now=T0, ttl_seconds=60)
    store.idempotency.release("k1")
    assert store.idempotency.claim("k1", "fp-2", now=at(1), ttl_seconds=60) is None
    store.idempotency.release("never-claimed")


# Settings


def test_settings_default_to_version_zero_until_saved(store: Store) -> None:
    assert store.settings.get() == SystemSettings()
    assert store.settings.get().version == 0


def test_saving_settings_versions_them(store: Store) -> None:
    saved = store.settings.save(SystemSettings(global_kill_switch=True))
    assert saved.version == 1
    assert store.settings.get() == saved
    saved.global_kill_switch = False
    again = store.settings.save(saved)
    assert again.version == 2
    assert store.settings.get().global_kill_switch is False


def test_saving_settings_from_a_stale_copy_raises_concurrent_update(store: Store) -> None:
    first = store.settings.save(SystemSettings())
    store.settings.save(first.model_copy(update={"global_kill_switch": True}))
    with pytest.raises(ConcurrentUpdate):
        store.settings.save(first)
    with pytest.raises(ConcurrentUpdate):
        store.settings.save(SystemSettings())
    assert store.settings.get().global_kill_switch is True


# SQLite only


def _bump_position(target: Store, symbol: str) -> int:
    """Add one to a shared position, retrying on ConcurrentUpdate; returns how many retries it took."""
    retries = 0
    while True:
        position = target.positions.get("acct-1", symbol) or make_position(symbol)
        position.quantity += 1
        try:
            target.positions.save(position)
            return retries
        except ConcurrentUpdate:
            retries += 1


def test_sqlite_loses_no_write_under_concurrent_threads(sqlite_path: str) -> None:
    threads, writes = 8, 25
    target = open_sqlite_store(sqlite_path)
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(worker: int) -> None:
        try:
            start.wait()
            for n in range(writes):
                target.orders.add(make_order(f"T{worker}-{n}", created_at=at(n)))
                _bump_position(target, "AAPL")
        except BaseException as exc:  # collected so the main thread can fail the test
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(worker,)) for worker in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so read-modify-write cycles really interleave
    try:
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    try:
        assert errors == []
        assert len(target.orders.list_for_account("acct-1")) == threads * writes
        position = target.positions.get("acct-1", "AAPL")
        assert position is not None
        assert position.quantity == threads * writes
        assert position.version == threads * writes
    finally:
        target.close()


def _process_writer(path: str, worker: int, writes: int, start: Any) -> None:
    target = open_sqlite_store(path)
    start.wait(timeout=60)  # begin together, so the processes really contend for the file
    try:
        for n in range(writes):
            target.orders.add(make_order(f"P{worker}-{n}", created_at=at(n)))
            _bump_position(target, "MSFT")
    finally:
        target.close()


def test_sqlite_accepts_writers_from_separate_processes(sqlite_path: str) -> None:
    processes, writes = 2, 60
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    workers = [context.Process(target=_process_writer, args=(sqlite_path, n, writes, start)) for n in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * processes
    target = open_sqlite_store(sqlite_path)
    try:
        assert len(target.orders.list_for_account("acct-1")) == processes * writes
        position = target.positions.get("acct-1", "MSFT")
        assert position is not None
        assert position.quantity == processes * writes
    finally:
        target.close()


def test_sqlite_refuses_to_change_audit_rows_even_through_raw_sql(sqlite_path: str) -> None:
    target = open_sqlite_store(sqlite_path)
    target.audit.append(make_audit())
    target.close()
    raw = sqlite3.connect(sqlite_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("UPDATE audit SET data = '{}'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM audit")
    finally:
        raw.close()


def test_sqlite_store_is_usable_again_after_reopening_the_same_file(sqlite_path: str) -> None:
    first = open_sqlite_store(sqlite_path)
    first.accounts.add(make_account())
    first.close()
    second = open_sqlite_store(sqlite_path)
    try:
        assert second.accounts.get("acct-1").version == 1
    finally:
        second.close()


def test_importing_the_store_package_does_not_load_boto3() -> None:
    code = "import sys, infra.stores, infra.stores.sqlite; sys.exit('boto3' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# DynamoDB only


def test_create_table_builds_the_declared_schema_with_ttl(dynamodb_client: Any) -> None:
    table = dynamodb_client.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {("PK", "HASH"), ("SK", "RANGE")}
    assert {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]} == dict.fromkeys(
        ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"), "S"
    )
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["GSI1", "GSI2"]
    for name, index in indexes.items():
        keys = {(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]}
        assert keys == {(f"{name}PK", "HASH"), (f"{name}SK", "RANGE")}
        assert index["Projection"]["ProjectionType"] == "ALL"
    ttl = dynamodb_client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")


class _SmallPages:
    """A client whose queries return two items a page, to exercise LastEvaluatedKey paging."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def query(self, **kwargs: Any) -> dict[str, Any]:
        return self._client.query(**{"Limit": 2} | kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_dynamodb_queries_follow_every_page(dynamodb_client: Any) -> None:
    from infra.stores.dynamodb import open_dynamodb_store

    target = open_dynamodb_store(TABLE, _SmallPages(dynamodb_client))
    for n in range(5):
        target.accounts.add(make_account(f"a{n}"))
        target.orders.add(make_order(f"O{n}", created_at=at(n)))
        target.fills.add(make_fill(f"F{n}", time=at(n)))
        target.positions.save(make_position(f"S{n}"))
        target.audit.append(make_audit(f"A{n}", time=at(n)))
    assert sorted(ids(target.accounts.list())) == [f"a{n}" for n in range(5)]
    assert ids(target.orders.list_for_account("acct-1")) == [f"O{n}" for n in reversed(range(5))]
    assert ids(target.orders.list_for_account("acct-1", open_only=True, limit=3)) == ["O4", "O3", "O2"]
    assert ids(target.orders.list_open_for_symbol("AAPL")) == [f"O{n}" for n in range(5)]
    assert len(target.fills.list_for_account("acct-1")) == 5
    assert len(target.positions.list_for_account("acct-1")) == 5
    assert ids(target.audit.list_for_account("acct-1", limit=3)) == ["A0", "A1", "A2"]


def test_dynamodb_failures_become_store_errors_from_the_cause(dynamodb_client: Any) -> None:
    from botocore.exceptions import ClientError

    from infra.stores.dynamodb import open_dynamodb_store

    target = open_dynamodb_store("no-such-table", dynamodb_client)
    with pytest.raises(StoreError) as raised:
        target.accounts.get("acct-1")
    assert isinstance(raised.value.__cause__, ClientError)


def test_dynamodb_idempotency_expiry_is_an_epoch_number_for_ttl(dynamodb_client: Any) -> None:
    from infra.stores.dynamodb import open_dynamodb_store

    open_dynamodb_store(TABLE, dynamodb_client).idempotency.claim("k1", "fp", now=T0, ttl_seconds=90)
    key = {"PK": {"S": "IDEMPOTENCY#k1"}, "SK": {"S": "RECORD"}}
    item = dynamodb_client.get_item(TableName=TABLE, Key=key)["Item"]
    assert Decimal(item["expires_at"]["N"]) == Decimal(int(T0.timestamp()) + 90)


def test_dynamodb_order_keeps_open_index_keys_only_while_working(dynamodb_client: Any) -> None:
    from infra.stores.dynamodb import open_dynamodb_store

    target = open_dynamodb_store(TABLE, dynamodb_client)
    key = {"PK": {"S": "ORDER#O1"}, "SK": {"S": "ORDER"}}
    order = target.orders.add(make_order())
    assert dynamodb_client.get_item(TableName=TABLE, Key=key)["Item"]["GSI2PK"] == {"S": "OPEN#AAPL"}
    order.transition(OrderStatus.CANCELLED, at(1))
    target.orders.update(order)
    item = dynamodb_client.get_item(TableName=TABLE, Key=key)["Item"]
    assert "GSI2PK" not in item
    assert "GSI2SK" not in item


def test_a_record_written_by_newer_code_with_an_extra_field_still_loads() -> None:
    import json
    from datetime import UTC, datetime

    from core.accounts import Account
    from infra.stores.codec import load

    newer = Account(id="a1", created_at=datetime(2026, 1, 1, tzinfo=UTC)).model_dump(mode="json")
    newer["field_added_later"] = {"x": 1}
    assert load(Account, json.dumps(newer)).id == "a1"
