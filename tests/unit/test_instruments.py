"""The instrument catalog: what ships, how symbols are looked up, and the tick and lot rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import InvalidRequest, UnknownSymbol
from core.instruments import AssetClass, Instrument, InstrumentCatalog

D = Decimal
EQUITIES = {"AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "TSLA", "JPM", "XOM", "SPY", "QQQ"}
# NYMEX contract specifications: (multiplier, minimum tick).
FUTURES = {
    "CL": (D(1000), D("0.01")),
    "BZ": (D(1000), D("0.01")),
    "NG": (D(10000), D("0.001")),
    "RB": (D(42000), D("0.0001")),
    "HO": (D(42000), D("0.0001")),
}
CRYPTO = {"BTC-USD": D("0.00001"), "ETH-USD": D("0.0001")}


@pytest.fixture(scope="module")
def catalog() -> InstrumentCatalog:
    return InstrumentCatalog.default()


def test_the_default_catalog_holds_the_equities_the_energy_futures_and_two_crypto_pairs(catalog):
    assert {i.symbol for i in catalog} == EQUITIES | set(FUTURES) | set(CRYPTO)
    assert len(catalog) == len(EQUITIES) + len(FUTURES) + len(CRYPTO)


@pytest.mark.parametrize("symbol", sorted(EQUITIES))
def test_equities_trade_whole_shares_in_penny_ticks_during_market_hours(catalog, symbol):
    equity = catalog.get(symbol)
    assert equity.asset_class is AssetClass.EQUITY
    assert (equity.tick_size, equity.lot_size, equity.multiplier) == (D("0.01"), D(1), D(1))
    assert equity.currency == "USD"
    assert not equity.trades_24x7
    assert equity.cash_settled_notional


@pytest.mark.parametrize("symbol", sorted(FUTURES))
def test_energy_futures_carry_their_exchange_multiplier_and_tick(catalog, symbol):
    future = catalog.get(symbol)
    multiplier, tick = FUTURES[symbol]
    assert future.asset_class is AssetClass.FUTURE
    assert future.multiplier == multiplier
    assert future.tick_size == tick
    assert future.lot_size == D(1)
    assert not future.trades_24x7
    assert not future.cash_settled_notional


@pytest.mark.parametrize("symbol", sorted(CRYPTO))
def test_crypto_pairs_trade_around_the_clock_in_fractional_lots(catalog, symbol):
    pair = catalog.get(symbol)
    assert pair.asset_class is AssetClass.CRYPTO
    assert pair.trades_24x7
    assert pair.lot_size == CRYPTO[symbol]
    assert pair.tick_size == D("0.01")
    assert pair.cash_settled_notional


def test_only_the_crypto_pairs_trade_24x7(catalog):
    assert {i.symbol for i in catalog if i.trades_24x7} == set(CRYPTO)


def test_catalog_numbers_are_exact_decimals(catalog):
    for instrument in catalog:
        for value in (instrument.tick_size, instrument.lot_size, instrument.multiplier):
            assert isinstance(value, Decimal)
    assert str(catalog.get("RB").tick_size) == "0.0001"


def test_an_unknown_symbol_raises_unknown_symbol_naming_it(catalog):
    with pytest.raises(UnknownSymbol) as caught:
        catalog.get("ZZZZ")
    assert caught.value.code == "unknown_symbol"
    assert caught.value.details == {"symbol": "ZZZZ"}
    assert "ZZZZ" in caught.value.message
    assert isinstance(caught.value, InvalidRequest)


def test_a_symbol_that_is_not_a_string_is_an_unknown_symbol_too(catalog):
    with pytest.raises(UnknownSymbol):
        catalog.get(None)  # type: ignore[arg-type]
    assert 42 not in catalog


@pytest.mark.parametrize("written", ["aapl", "AAPL", "Aapl", " aapl ", "btc-usd", "Cl"])
def test_lookups_ignore_case_and_surrounding_spaces(catalog, written):
    assert written in catalog
    assert catalog.get(written).symbol == written.strip().upper()


def test_a_catalog_built_from_lower_case_symbols_is_still_found_by_upper_case(catalog):
    small = InstrumentCatalog(
        [Instrument(symbol="abc", asset_class=AssetClass.EQUITY, tick_size=D("0.01"), lot_size=D(1))]
    )
    assert small.get("ABC").symbol == "abc"
    assert "XYZ" not in small


@pytest.mark.parametrize(
    ("symbol", "price", "rounded"),
    [
        ("AAPL", "100.004", "100.00"),
        ("AAPL", "100.006", "100.01"),
        ("AAPL", "100", "100.00"),
        ("AAPL", "230.15", "230.15"),
        ("NG", "3.1237", "3.124"),
        ("HO", "2.45671", "2.4567"),
        ("CL", "70.019", "70.02"),
    ],
)
def test_round_to_tick_gives_the_nearest_price_on_the_tick_written_to_the_tick(catalog, symbol, price, rounded):
    instrument = catalog.get(symbol)
    result = instrument.round_to_tick(D(price))
    assert str(result) == rounded
    instrument.check_price(result)


def test_round_to_tick_works_for_a_tick_that_is_not_a_power_of_ten():
    quarter = Instrument(symbol="ES", asset_class=AssetClass.FUTURE, tick_size=D("0.25"), lot_size=D(1))
    assert quarter.round_to_tick(D("5000.13")) == D("5000.25")
    assert quarter.round_to_tick(D("5000.12")) == D("5000.00")


@pytest.mark.parametrize("price", ["0", "-1.00"])
def test_a_price_must_be_positive(catalog, price):
    with pytest.raises(InvalidRequest, match="must be positive"):
        catalog.get("AAPL").check_price(D(price), field="limit_price")


@pytest.mark.parametrize("quantity", ["0", "-5"])
def test_a_quantity_must_be_positive(catalog, quantity):
    with pytest.raises(InvalidRequest, match="must be positive") as caught:
        catalog.get("AAPL").check_quantity(D(quantity))
    assert caught.value.details["field"] == "quantity"


def test_notional_scales_by_the_multiplier_and_ignores_the_sign(catalog):
    assert catalog.get("CL").notional(D(-2), D("70.00")) == D("140000.00")
    assert catalog.get("AAPL").notional(D(10), D("230.15")) == D("2301.50")
