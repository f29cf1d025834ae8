"""The instrument catalog: what can be traded, and the rules its prices and quantities obey."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from core.errors import InvalidRequest, UnknownSymbol


class AssetClass(StrEnum):
    EQUITY = "equity"
    FUTURE = "future"
    CRYPTO = "crypto"


SHOWN_EXTRA_PLACES = 4
FRACTIONAL_LOT = Decimal("0.0001")
CENT = Decimal("0.01")


def shown_money(amount: Decimal) -> Decimal:
    """Money as Parley shows it: to the cent, half to even (banker's rounding, whatever the decimal context)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


class Instrument(BaseModel):
    model_config = ConfigDict(frozen=True)

    symbol: str
    name: str = ""
    asset_class: AssetClass
    currency: str = "USD"
    tick_size: Decimal = Field(gt=0)
    lot_size: Decimal = Field(gt=0)
    multiplier: Decimal = Field(default=Decimal(1), gt=0)
    trades_24x7: bool = False
    # Its trading calendar in core.sessions: "xnys" (NYSE hours), "cme_energy" (CME Globex), "always" (24x7).
    calendar: str = "always"
    # Equities that may be bought in fractions of a share (market day orders, as Alpaca allows).
    fractionable: bool = False
    # Whether it may be sold short (on a margin account; crypto never is, see core.risk). A venue's listing says.
    shortable: bool = True
    # Futures: the initial margin one contract ties up, in the instrument's currency (see the catalog's _margins).
    initial_margin: Decimal | None = Field(default=None, gt=0)
    aliases: list[str] = []  # names and nicknames traders write for it ("apple", "nat gas"), lower case

    @property
    def triggers_on_last(self) -> bool:
        """Stops on stocks and futures trigger on the last trade when there is one (IB's default); crypto,
        quoted around the clock without a consolidated tape here, on the bid and ask."""
        return self.asset_class is not AssetClass.CRYPTO

    @property
    def cash_settled_notional(self) -> bool:
        """Equities and crypto exchange the full notional in cash; futures settle only their P&L."""
        return self.asset_class is not AssetClass.FUTURE

    def notional(self, quantity: Decimal, price: Decimal) -> Decimal:
        return abs(quantity) * price * self.multiplier

    def lot(self, fractional: bool = False) -> Decimal:
        """The quantity step: the lot size, or for a fractionable instrument's market day orders (Alpaca's rule
        for fractional shares) the fractional lot."""
        return FRACTIONAL_LOT if fractional and self.fractionable else self.lot_size

    def check_quantity(self, quantity: Decimal, fractional: bool = False) -> None:
        if quantity <= 0:
            raise InvalidRequest(f"Quantity must be positive, got {quantity}.", field="quantity")
        lot = self.lot(fractional)
        if quantity % lot != 0:
            hint = " (fractions only on market day orders)" if self.fractionable and not fractional else ""
            raise InvalidRequest(
                f"{self.symbol} trades in lots of {lot}{hint}; {quantity} is not a multiple.",
                code="invalid_lot",
                field="quantity",
                lot_size=str(lot),
            )

    def check_price(self, price: Decimal, field: str = "price") -> None:
        if price <= 0:
            raise InvalidRequest(f"{field} must be positive, got {price}.", field=field)
        if price % self.tick_size != 0:
            raise InvalidRequest(
                f"{self.symbol} prices move in ticks of {self.tick_size}; {price} is off the tick.",
                code="invalid_tick",
                field=field,
                tick_size=str(self.tick_size),
            )

    def shown_price(self, price: Decimal) -> Decimal:
        """A price as Parley shows it (an average of fills, a mark): the tick's decimal places plus four.
        Inside, prices stay exact; this is for the people and programs reading them."""
        exponent = self.tick_size.as_tuple().exponent
        assert isinstance(exponent, int)  # a tick size is a finite positive Decimal (checked when read)
        places = -exponent + SHOWN_EXTRA_PLACES
        return price.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)

    def round_to_tick(self, price: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
        ticks = (price / self.tick_size).to_integral_value(rounding=rounding)
        return (ticks * self.tick_size).quantize(self.tick_size)


class InstrumentCatalog:
    """Look instruments up by symbol, case-insensitively; unknown symbols raise UnknownSymbol."""

    def __init__(self, instruments: list[Instrument]) -> None:
        self._by_symbol = {i.symbol.upper(): i for i in instruments}
        self._by_alias: dict[str, Instrument] = {}
        for instrument in instruments:
            for alias in instrument.aliases:
                key = _words(alias)
                named = self._by_symbol.get(key.upper(), instrument)
                if named is not instrument or self._by_alias.setdefault(key, instrument) is not instrument:
                    raise ValueError(f"alias {alias!r} of {instrument.symbol} names another instrument too")

    def get(self, symbol: str) -> Instrument:
        try:
            return self._by_symbol[symbol.strip().upper()]
        except (KeyError, AttributeError):
            raise UnknownSymbol(str(symbol)) from None

    def resolve(self, word: str) -> Instrument | None:
        """The instrument a trader means by ``word``: its symbol or one of its aliases, any case; else None."""
        if not isinstance(word, str):
            return None
        key = _words(word)
        return self._by_symbol.get(key.upper()) or self._by_alias.get(key)

    @property
    def aliases(self) -> dict[str, str]:
        """Every alias (lower case, single spaces) and the symbol it names."""
        return {alias: instrument.symbol for alias, instrument in self._by_alias.items()}

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and symbol.strip().upper() in self._by_symbol

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._by_symbol.values())

    def __len__(self) -> int:
        return len(self._by_symbol)

    @classmethod
    def default(cls) -> InstrumentCatalog:
        raw = json.loads(resources.files("core").joinpath("data/instruments.json").read_text())
        return cls([Instrument.model_validate(item) for item in raw["instruments"]])


class ListedCatalog(InstrumentCatalog):
    """What an account on a real venue trades: the venue's listing, asked one symbol at a time through ``lookup``
    (which raises UnknownSymbol for a symbol the venue does not list) and kept for the life of this catalog (the
    venue adapter caches its listing). Traders' names for instruments ("apple") come from the shipped catalog."""

    def __init__(self, lookup: Callable[[str], Instrument], shipped: InstrumentCatalog) -> None:
        super().__init__([])
        self._lookup = lookup
        self._shipped = shipped
        self._listed: dict[str, Instrument] = {}

    def get(self, symbol: str) -> Instrument:
        key = symbol.strip().upper() if isinstance(symbol, str) else ""
        if not key:
            raise UnknownSymbol(str(symbol))
        found = self._listed.get(key)
        if found is None:
            found = self._listed[key] = self._lookup(key)
        return found

    def resolve(self, word: str) -> Instrument | None:
        named = self._shipped.resolve(word)
        if named is None and (not isinstance(word, str) or len(word.split()) != 1):
            return None
        try:
            return self.get(named.symbol if named is not None else word)
        except UnknownSymbol:
            return None

    @property
    def aliases(self) -> dict[str, str]:
        return self._shipped.aliases

    def __contains__(self, symbol: object) -> bool:
        if not isinstance(symbol, str):
            return False
        try:
            self.get(symbol)
        except UnknownSymbol:
            return False
        return True

    def __iter__(self) -> Iterator[Instrument]:
        """The instruments looked up so far (a venue lists thousands; nothing walks them all)."""
        return iter(self._listed.values())

    def __len__(self) -> int:
        return len(self._listed)


def _words(text: str) -> str:
    return " ".join(text.lower().split())
