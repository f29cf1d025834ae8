"""The instrument catalog: what can be traded, and the rules its prices and quantities obey."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from core.errors import InvalidRequest, UnknownSymbol


class AssetClass(StrEnum):
    EQUITY = "equity"
    FUTURE = "future"
    CRYPTO = "crypto"


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

    @property
    def cash_settled_notional(self) -> bool:
        """Equities and crypto exchange the full notional in cash; futures settle only their P&L."""
        return self.asset_class is not AssetClass.FUTURE

    def notional(self, quantity: Decimal, price: Decimal) -> Decimal:
        return abs(quantity) * price * self.multiplier

    def check_quantity(self, quantity: Decimal) -> None:
        if quantity <= 0:
            raise InvalidRequest(f"Quantity must be positive, got {quantity}.", field="quantity")
        if quantity % self.lot_size != 0:
            raise InvalidRequest(
                f"{self.symbol} trades in lots of {self.lot_size}; {quantity} is not a multiple.",
                code="invalid_lot",
                field="quantity",
                lot_size=str(self.lot_size),
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

    def round_to_tick(self, price: Decimal) -> Decimal:
        ticks = (price / self.tick_size).to_integral_value()
        return (ticks * self.tick_size).quantize(self.tick_size)


class InstrumentCatalog:
    """Look instruments up by symbol, case-insensitively; unknown symbols raise UnknownSymbol."""

    def __init__(self, instruments: list[Instrument]) -> None:
        self._by_symbol = {i.symbol.upper(): i for i in instruments}

    def get(self, symbol: str) -> Instrument:
        try:
            return self._by_symbol[symbol.strip().upper()]
        except (KeyError, AttributeError):
            raise UnknownSymbol(str(symbol)) from None

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and symbol.strip().upper() in self._by_symbol

    def __iter__(self):
        return iter(self._by_symbol.values())

    def __len__(self) -> int:
        return len(self._by_symbol)

    @classmethod
    def default(cls) -> InstrumentCatalog:
        raw = json.loads(resources.files("core").joinpath("data/instruments.json").read_text())
        return cls([Instrument.model_validate(item) for item in raw["instruments"]])
