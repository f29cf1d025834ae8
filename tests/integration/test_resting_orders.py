"""Resting orders at stream speed, on every store (SQLite, DynamoDB under moto, memory): a quote reads only the
working orders it can trigger or fill, and an order placed or cancelled elsewhere is in a warm consumer's
index by its next batch. On DynamoDB the items a quote reads are counted, and do not grow with the number of
resting orders far from the market."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal as D

import pytest

from core import usecases as uc
from core.market import Quote
from core.orders import OrderStatus
from core.ports.store import Store
from core.sessions import Sessions
from core.usecases.alert_engine import AlertEngine
from core.usecases.market import apply_quote
from infra.brokers.paper import PaperBroker
from tests.functional.aws_calls import counting_items_read
from tests.support import Clock, order


@pytest.fixture
def deps(store: Store) -> uc.Deps:
    clock = Clock()  # Friday 10:00 New York: AAPL's session is open
    return uc.Deps(store=store, broker=PaperBroker(), clock=clock, sessions=Sessions.exchange())


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch, deps: uc.Deps) -> Iterator[list[str]]:
    """The ids of the orders read, one by one (``orders.get``) or by symbol (``list_open_for_symbol``)."""
    seen: list[str] = []
    repository = type(deps.store.orders)
    get, by_symbol = repository.get, repository.list_open_for_symbol

    def spied_get(self, order_id: str):
        seen.append(order_id)
        return get(self, order_id)

    def spied_by_symbol(self, symbol: str):
        found = by_symbol(self, symbol)
        seen.extend(o.id for o in found)
        return found

    monkeypatch.setattr(repository, "get", spied_get)
    monkeypatch.setattr(repository, "list_open_for_symbol", spied_by_symbol)
    yield seen


def quote(deps: uc.Deps, engine: AlertEngine, bid: str, ask: str):
    deps.clock.advance(seconds=1)
    engine.refresh(deps, ["AAPL"])
    tick = Quote(symbol="AAPL", bid=D(bid), ask=D(ask), time=deps.now())
    return apply_quote(deps, engine, tick, tick.mark, tick.mark)


def buy_limit(deps: uc.Deps, account: str, limit: str) -> str:
    uc.create_account(deps, account)
    return uc.place_order(deps, account, order("AAPL", "buy", "1", order_type="limit", limit_price=limit,
                                               time_in_force="gtc")).id


def status(deps: uc.Deps, account: str, order_id: str) -> OrderStatus:
    return uc.get_order(deps, account, order_id).status


def test_a_quote_reads_and_fills_only_the_resting_orders_it_reaches(deps: uc.Deps, reads: list[str]) -> None:
    engine = AlertEngine()
    quote(deps, engine, "100.00", "100.02")
    far = [buy_limit(deps, f"far{n}", "90.00") for n in range(4)]
    near = buy_limit(deps, "near", "99.00")
    quote(deps, engine, "99.50", "99.52")
    reads.clear()
    outcome = quote(deps, engine, "98.98", "99.00")
    assert [o.id for o in outcome.changed] == [near]
    assert set(reads) <= {near}, "only the order the quote reached was read"
    assert status(deps, "near", near) is OrderStatus.FILLED
    assert all(status(deps, f"far{n}", o) is OrderStatus.ACCEPTED for n, o in enumerate(far))


def test_a_fill_that_shrinks_a_position_reads_none_of_the_other_accounts_resting_orders(
    deps: uc.Deps, reads: list[str]
) -> None:
    engine = AlertEngine()
    quote(deps, engine, "100.00", "100.02")
    others = [buy_limit(deps, f"other{n}", "80.00") for n in range(3)]
    uc.create_account(deps, "eve")
    entry = uc.place_order(deps, "eve", order("AAPL", "buy", "2", order_type="bracket", take_profit_price="105.00",
                                              stop_loss_price="90.00", time_in_force="gtc"))
    quote(deps, engine, "100.00", "100.02")
    reads.clear()
    changed = quote(deps, engine, "105.00", "105.02").changed  # the take-profit exit fills, the stop shrinks to 0
    assert [o.parent_id for o in changed] == [entry.id]
    assert uc.positions(deps, "eve") == []
    assert not set(others) & set(reads)


def test_orders_placed_and_cancelled_elsewhere_are_in_the_warm_index_by_the_next_batch(
    deps: uc.Deps, reads: list[str]
) -> None:
    engine = AlertEngine()
    quote(deps, engine, "100.00", "100.02")
    first, second = buy_limit(deps, "ann", "95.00"), buy_limit(deps, "bob", "95.00")
    quote(deps, engine, "99.00", "99.02")  # warm: both are in the index now
    late = buy_limit(deps, "cat", "98.50")  # placed after the index was loaded
    uc.cancel_order(deps, "ann", first)  # cancelled after it was loaded
    reads.clear()
    changed = quote(deps, engine, "94.98", "95.00").changed
    assert sorted(o.id for o in changed) == sorted([second, late])
    assert first not in reads, "the cancelled order left the index through the change log, unread"
    assert status(deps, "ann", first) is OrderStatus.CANCELLED
    assert status(deps, "bob", second) is OrderStatus.FILLED and status(deps, "cat", late) is OrderStatus.FILLED


def test_a_batch_on_two_symbols_reads_each_symbols_log_past_its_own_cursor(deps: uc.Deps) -> None:
    engine = AlertEngine()
    engine.refresh(deps, ["AAPL", "MSFT"])  # warm on both, with nothing resting
    apple = [buy_limit(deps, f"ann{n}", "95.00") for n in range(3)]  # AAPL's log runs ahead of MSFT's
    uc.create_account(deps, "bob")
    microsoft = uc.place_order(deps, "bob", order("MSFT", "buy", "1", order_type="limit", limit_price="395.00",
                                                  time_in_force="gtc")).id
    deps.clock.advance(seconds=1)
    engine.refresh(deps, ["AAPL", "MSFT"])
    at_limit = {"AAPL": ("94.98", "95.00"), "MSFT": ("394.98", "395.00")}
    quotes = [Quote(symbol=symbol, bid=D(bid), ask=D(ask), time=deps.now()) for symbol, (bid, ask) in at_limit.items()]
    found = {tick.symbol: sorted(o.id for o in engine.orders.candidates(tick)) for tick in quotes}
    assert found == {"AAPL": sorted(apple), "MSFT": [microsoft]}


def test_a_trailing_stop_moved_by_one_consumer_triggers_at_its_new_stop_on_another(deps: uc.Deps) -> None:
    one, other = AlertEngine(), AlertEngine()
    quote(deps, one, "100.00", "100.02")
    uc.create_account(deps, "dan")
    uc.place_order(deps, "dan", order("AAPL", "buy", "10"))
    trail = uc.place_order(deps, "dan", order("AAPL", "sell", "10", order_type="trailing_stop", trail_percent="2",
                                              time_in_force="gtc")).id
    quote(deps, other, "100.00", "100.02")  # the other consumer loads the trail at its 100.00 reference
    quote(deps, one, "110.00", "110.02")  # one moves it to 110.00: its stop is now 107.80
    assert uc.get_order(deps, "dan", trail).trail_reference == D("110.00")
    quote(deps, other, "107.80", "107.82")  # 98.00 would be the stop of the copy the other consumer loaded
    assert status(deps, "dan", trail) is OrderStatus.FILLED


def _items_read_by_a_quiet_quote(deps: uc.Deps, accounts: int) -> int:
    engine = AlertEngine()
    quote(deps, engine, "100.00", "100.02")
    for n in range(accounts):
        buy_limit(deps, f"acct{accounts}-{n}", "80.00")  # 20% under the market
    quote(deps, engine, "100.00", "100.02")  # warm: the symbol is loaded once
    with counting_items_read() as items:
        quote(deps, engine, "100.01", "100.03")
    return sum(items.values())


@pytest.mark.parametrize("store", ["dynamodb"], indirect=True)
def test_on_dynamodb_the_items_a_quote_reads_do_not_grow_with_the_resting_orders(deps: uc.Deps) -> None:
    few = _items_read_by_a_quiet_quote(deps, 2)
    more = _items_read_by_a_quiet_quote(deps, 8)  # 2 + 8 orders resting on the same symbol now
    assert more == few


def expire_order_log(store: Store, before) -> int:
    """Drop the order change-log entries written before ``before``, as DynamoDB's TTL and SQLite's pruning do after
    a day (moto keeps expired items, and each store keeps its log its own way). Returns how many went."""
    from infra.stores.codec import key_time
    from infra.stores.memory import MemoryStore
    from infra.stores.sqlite import SqliteStore

    if isinstance(store, MemoryStore):
        log = store.db.tables["order_changes"]
        old = [seq for seq, row in log.items() if row.record.time < before]
        for seq in old:
            del log[seq]
        return len(old)
    if isinstance(store, SqliteStore):
        with store.db.write() as conn:
            return conn.execute("DELETE FROM order_changes WHERE time < ?", (key_time(before),)).rowcount
    from infra.stores.codec import from_key_time
    from infra.stores.dynamodb.changelog import HEAD, order_log

    items = store.table.query("PK = :pk", pk=order_log("AAPL"))
    old = [i for i in items if i["SK"]["S"] != HEAD and from_key_time(i["time"]["S"]) < before]
    for item in old:
        store.table.delete(item["PK"]["S"], item["SK"]["S"])
    return len(old)


def test_a_warm_index_quiet_past_the_change_logs_day_is_rebuilt_from_the_store(deps: uc.Deps) -> None:
    engine = AlertEngine()
    quote(deps, engine, "100.00", "100.02")
    first = buy_limit(deps, "ann", "95.00")
    quote(deps, engine, "99.00", "99.02")  # warm: ann's order is in the index
    uc.cancel_order(deps, "ann", first)  # then no quote on AAPL for days: the consumer reads none of this
    late = buy_limit(deps, "cat", "98.50")
    deps.clock.advance(days=3)  # Friday to Monday, the log's entries of Friday have expired
    assert expire_order_log(deps.store, deps.now() - timedelta(days=1)) >= 2
    changed = quote(deps, engine, "94.98", "95.00").changed
    assert [o.id for o in changed] == [late], "the order placed while the consumer was away is worked"
    assert first not in {o.id for o in engine.orders.candidates(Quote(symbol="AAPL", bid=D("94"), ask=D("95"),
                                                                      time=deps.now()))}
    assert status(deps, "cat", late) is OrderStatus.FILLED


def test_a_warm_index_read_within_the_day_keeps_its_orders_without_reading_them_again(
    deps: uc.Deps, reads: list[str]
) -> None:
    engine = AlertEngine()
    quote(deps, engine, "100.00", "100.02")
    first = buy_limit(deps, "ann", "95.00")
    quote(deps, engine, "99.00", "99.02")
    deps.clock.advance(hours=22)  # quiet, but its log still holds every entry the index has not read
    reads.clear()
    engine.refresh(deps, ["AAPL"])
    assert reads == [], "nothing was reloaded from the store"
    assert [o.id for o in engine.orders.candidates(Quote(symbol="AAPL", bid=D("94"), ask=D("95"),
                                                         time=deps.now()))] == [first]
