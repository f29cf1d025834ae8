"""Instrument aliases: the names traders write, kept as catalog data, resolved to one instrument each."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.instruments import AssetClass, Instrument, InstrumentCatalog


@pytest.fixture(scope="module")
def catalog() -> InstrumentCatalog:
    return InstrumentCatalog.default()


@pytest.mark.parametrize(
    ("written", "symbol"),
    [
        ("apple", "AAPL"), ("Microsoft", "MSFT"), ("crude", "CL"), ("WTI", "CL"), ("oil", "CL"), ("brent", "BZ"),
        ("natgas", "NG"), ("nat gas", "NG"), ("Nat  Gas", "NG"), ("gasoline", "RB"), ("rbob", "RB"),
        ("heating oil", "HO"), ("ulsd", "HO"), ("diesel", "HO"), ("bitcoin", "BTC-USD"), ("btc", "BTC-USD"),
        ("ether", "ETH-USD"), ("eth", "ETH-USD"), ("ethereum", "ETH-USD"),
    ],
)  # fmt: skip
def test_the_names_traders_write_resolve_to_the_catalog_symbol(catalog, written, symbol):
    assert catalog.resolve(written).symbol == symbol


@pytest.mark.parametrize("written", ["AAPL", "aapl", " cl ", "btc-usd"])
def test_a_symbol_resolves_to_itself_in_any_case(catalog, written):
    assert catalog.resolve(written).symbol == written.strip().upper()


@pytest.mark.parametrize("written", ["gas", "goog", "apples", "", "oil crude", None])
def test_words_that_name_no_instrument_or_more_than_one_resolve_to_none(catalog, written):
    assert catalog.resolve(written) is None


def test_every_alias_is_lower_case_single_spaced_and_names_one_instrument(catalog):
    aliases = catalog.aliases
    assert aliases["heating oil"] == "HO"
    assert aliases["oil"] == "CL"
    for instrument in catalog:
        for alias in instrument.aliases:
            assert alias == " ".join(alias.lower().split())
            assert aliases[alias] == instrument.symbol


def _equity(symbol: str, *aliases: str) -> Instrument:
    return Instrument(
        symbol=symbol, asset_class=AssetClass.EQUITY, tick_size=Decimal("0.01"), lot_size=Decimal(1),
        aliases=list(aliases),
    )


def test_a_catalog_refuses_an_alias_given_to_two_instruments():
    with pytest.raises(ValueError, match="'Acme' of ACX"):
        InstrumentCatalog([_equity("ACM", "acme"), _equity("ACX", "Acme")])


def test_a_catalog_refuses_an_alias_that_is_another_instruments_symbol():
    with pytest.raises(ValueError, match="'acx'"):
        InstrumentCatalog([_equity("ACM", "acx"), _equity("ACX")])


def test_an_instrument_without_aliases_is_found_by_its_symbol_only():
    small = InstrumentCatalog([_equity("ACM")])
    assert small.resolve("acm").symbol == "ACM"
    assert small.resolve("acme") is None
