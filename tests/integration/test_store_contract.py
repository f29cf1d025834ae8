"""The storage contract of core/ports/store for accounts, positions, quotes, settings and idempotency,
run against every adapter (SQLite, DynamoDB under moto, memory) through the ``store`` fixture."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.accounts import SystemSettings, TradingState
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound
from core.ports.store import IdempotencyStatus, Store
from core.risk_limits import RiskLimits
from tests.integration.test_store_records import (
    BIG,
    T0,
    TINY,
    assert_utc,
    at,
    ids,
    make_account,
    make_position,
    make_quote,
)

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


# Settings


def test_settings_default_to_version_zero_until_saved(store: Store) -> None:
    assert store.settings.get() == SystemSettings()
    assert store.settings.get().version == 0


def test_saving_settings_versions_them(store: Store) -> None:
    saved = store.settings.save(SystemSettings(trading_state=TradingState.HALTED))
    assert saved.version == 1
    assert store.settings.get() == saved
    saved.trading_state = TradingState.ACTIVE
    again = store.settings.save(saved)
    assert again.version == 2
    assert store.settings.get().trading_state is TradingState.ACTIVE


def test_saving_settings_from_a_stale_copy_raises_concurrent_update(store: Store) -> None:
    first = store.settings.save(SystemSettings())
    store.settings.save(first.model_copy(update={"trading_state": TradingState.HALTED}))
    with pytest.raises(ConcurrentUpdate):
        store.settings.save(first)
    with pytest.raises(ConcurrentUpdate):
        store.settings.save(SystemSettings())
    assert store.settings.get().trading_state is TradingState.HALTED


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
