"""The store contract for what today's P&L is measured from, on every adapter: session closes (the day-order
sweep's record of each instrument's last price at its latest closes) and the day-start figures on positions."""

from __future__ import annotations

from decimal import Decimal

from core.ports.store import Store
from tests.integration.test_store_records import assert_utc, at, make_close, make_position, make_quote


def test_a_close_is_kept_and_read_back_exactly_with_the_one_before(store: Store) -> None:
    close = make_close(close=at(60), price="110.123456789", previous_at=at(0), previous_price="0.00001")
    store.quotes.put_close(close)
    got = store.quotes.get_closes(["AAPL", "MSFT"])
    assert got == {"AAPL": close}
    assert (str(got["AAPL"].price), str(got["AAPL"].previous_price)) == ("110.123456789", "0.00001")
    assert_utc(got["AAPL"].at)
    assert store.quotes.get_closes([]) == {}


def test_a_close_replaces_the_stored_one_only_when_it_is_later(store: Store) -> None:
    store.quotes.put_close(make_close(close=at(60), price="110"))
    store.quotes.put_close(make_close(close=at(0), price="1"))  # a sweep that ran late
    store.quotes.put_close(make_close(close=at(60), price="2"))  # or twice
    assert store.quotes.get_closes(["AAPL"])["AAPL"].price == Decimal("110")
    store.quotes.put_close(make_close(close=at(120), price="120", previous_at=at(60), previous_price="110"))
    assert store.quotes.get_closes(["AAPL"])["AAPL"].price_before(at(90)) == Decimal("110")


def test_quotes_and_closes_of_a_symbol_are_kept_apart(store: Store) -> None:
    store.quotes.put_close(make_close(close=at(0), price="110"))
    assert store.quotes.put(make_quote(time=at(1), bid="104", ask="106")) is True
    assert store.quotes.get("AAPL").bid == Decimal("104")
    assert store.quotes.get_closes(["AAPL"])["AAPL"].price == Decimal("110")
    assert store.quotes.get_many(["AAPL"])["AAPL"].ask == Decimal("106")


def test_a_position_keeps_what_it_was_when_its_day_began(store: Store) -> None:
    position = make_position(quantity="150", average_price="101")
    position = position.model_copy(update={
        "day_start": at(0), "start_quantity": Decimal("100"), "start_average": Decimal("100"),
        "realised_since_start": Decimal("-12.5"),
    })
    store.positions.save(position)
    got = store.positions.get("acct-1", "AAPL")
    assert got.at_day_start(at(0)) == (Decimal("100"), Decimal("100"), Decimal("-12.5"))
    assert got.at_day_start(at(86400)) == (Decimal("150"), Decimal("101"), Decimal(0))
    assert_utc(got.day_start)

