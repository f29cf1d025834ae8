"""The storage contract of core/ports/store for orders, fills and the audit log, run against every adapter
(SQLite, DynamoDB under moto, memory) through the ``store`` fixture."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.errors import AlreadyExists, ConcurrentUpdate, NotFound
from core.orders import OrderStatus, OrderType, Side
from core.ports.store import Store
from tests.integration.test_store_records import (
    BIG,
    T0,
    TINY,
    assert_utc,
    at,
    ids,
    make_audit,
    make_fill,
    make_order,
)

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


def test_the_store_keeps_its_own_copy_of_the_order_it_was_given(store: Store) -> None:
    order = make_order()
    store.orders.add(order)
    order.quantity = Decimal("500")
    order.reject_codes.append("changed-after-add")
    got = store.orders.get("O1")
    assert (got.quantity, got.reject_codes) == (Decimal("10"), [])


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


def test_listing_orders_before_a_cursor_reads_the_next_page_each_order_once(store: Store) -> None:
    for n in range(5):
        store.orders.add(make_order(f"O{n}", created_at=at(n)))
    store.orders.add(make_order("O2b", created_at=at(2)))  # a tie on time: the id decides
    first = store.orders.list_for_account("acct-1", limit=3)
    assert ids(first) == ["O4", "O3", "O2b"]
    last = first[-1]
    rest = store.orders.list_for_account("acct-1", limit=3, before=(last.created_at, last.id))
    assert ids(rest) == ["O2", "O1", "O0"]
    assert store.orders.list_for_account("acct-1", before=(at(0), "O0")) == []
    assert ids(store.orders.list_for_account("acct-1", since=at(1), before=(at(2), "O2b"))) == ["O2", "O1"]
    assert store.orders.list_for_account("acct-1", since=at(3), before=(at(1), "O1")) == []


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
    assert store.fills.add(make_fill(price=BIG, quantity=TINY)) is None
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


def test_fills_at_one_instant_are_listed_in_the_order_their_position_booked_them(store: Store) -> None:
    store.fills.add(make_fill("Z-entry", time=at(1), sequence=7))
    store.fills.add(make_fill("A-exit", side=Side.SELL, time=at(1), sequence=8))
    store.fills.add(make_fill("B-later", time=at(2), sequence=9))
    assert ids(store.fills.list_for_account("acct-1")) == ["Z-entry", "A-exit", "B-later"]
    assert ids(store.fills.list_for_account("acct-1", since=at(1))) == ["Z-entry", "A-exit", "B-later"]


def test_listing_fills_since_keeps_fills_at_or_after_it(store: Store) -> None:
    for n in range(4):
        store.fills.add(make_fill(f"F{n}", time=at(n)))
    assert ids(store.fills.list_for_account("acct-1", since=at(2))) == ["F2", "F3"]
    assert ids(store.fills.list_for_account("acct-1", since=at(0.5))) == ["F1", "F2", "F3"]
    assert store.fills.list_for_account("acct-1", since=at(9)) == []


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


# The order change log: one log per symbol


def test_each_symbols_order_change_log_reads_its_own_entries_past_a_cursor(store: Store) -> None:
    assert store.orders.last_change("AAPL") == 0
    assert store.orders.changes_since("AAPL", 0) == []
    for n, symbol in enumerate(["AAPL", "MSFT", "AAPL", "MSFT", "AAPL"]):
        with store.unit() as uow:
            uow.orders.log_change(make_order(f"O{n}", symbol=symbol), at(n))
            uow.commit()
    apple = store.orders.changes_since("AAPL", 0)
    assert [change.order.id for change in apple] == ["O0", "O2", "O4"]
    assert [change.time for change in apple] == [at(0), at(2), at(4)]
    assert [change.seq for change in apple] == sorted(change.seq for change in apple)
    assert store.orders.last_change("AAPL") == apple[-1].seq
    assert [c.order.id for c in store.orders.changes_since("AAPL", apple[0].seq)] == ["O2", "O4"]
    assert store.orders.changes_since("AAPL", apple[-1].seq) == []
    microsoft = store.orders.changes_since("MSFT", 0)
    assert [change.order.id for change in microsoft] == ["O1", "O3"]
    assert store.orders.last_change("MSFT") == microsoft[-1].seq
    assert store.orders.last_change("TSLA") == 0


def test_an_order_change_logged_in_a_unit_that_does_not_commit_is_not_in_the_log(store: Store) -> None:
    with store.unit() as uow:
        uow.orders.log_change(make_order(), at(0))
    assert store.orders.changes_since("AAPL", 0) == []
    assert store.orders.last_change("AAPL") == 0
