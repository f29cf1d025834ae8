"""Market data: the latest quote per instrument."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from core.orders import Side


class Quote(BaseModel):
    """Top of book for one symbol. Sizes are optional: without them liquidity is taken as unlimited."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    symbol: str
    bid: Decimal = Field(gt=0)
    ask: Decimal = Field(gt=0)
    last: Decimal | None = Field(default=None, gt=0)
    bid_size: Decimal | None = Field(default=None, ge=0)
    ask_size: Decimal | None = Field(default=None, ge=0)
    time: AwareDatetime
    source: str = "feed"

    @model_validator(mode="after")
    def _not_crossed(self) -> Quote:
        if self.bid > self.ask:
            raise ValueError(f"crossed quote for {self.symbol}: bid {self.bid} > ask {self.ask}")
        self.symbol = self.symbol.upper()
        return self

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2

    @property
    def mark(self) -> Decimal:
        """The price positions are valued at: last trade if known, else mid."""
        return self.last if self.last is not None else self.mid

    def price_to(self, side: Side) -> Decimal:
        """The price a market order on ``side`` would trade at: the ask to buy, the bid to sell."""
        return self.ask if side is Side.BUY else self.bid

    def trigger_price(self, side: Side, on_last: bool) -> Decimal:
        """The price a stop on ``side`` is judged against: the last trade when ``on_last`` and known, else
        the ask for a buy stop and the bid for a sell stop."""
        if on_last and self.last is not None:
            return self.last
        return self.price_to(side)

    def stop_touched(self, side: Side, stop: Decimal, on_last: bool) -> bool:
        """Whether a stop at ``stop`` is triggered: a buy stop at or below the market, a sell stop at or above."""
        price = self.trigger_price(side, on_last)
        return price >= stop if side is Side.BUY else price <= stop

    def size_to(self, side: Side) -> Decimal | None:
        return self.ask_size if side is Side.BUY else self.bid_size

    def is_fresh(self, now: datetime, max_age: timedelta) -> bool:
        return now - self.time <= max_age


class SessionClose(BaseModel):
    """An instrument's last price at its two latest session closes, recorded by the day-order sweep: the
    price a trading day's P&L is measured from is the one of the latest close before that day began."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    symbol: str
    at: AwareDatetime
    price: Decimal
    previous_at: AwareDatetime | None = None
    previous_price: Decimal | None = None

    def price_before(self, start: datetime) -> Decimal | None:
        """The price at the latest recorded close at or before ``start``, or None when none is that old."""
        if self.at <= start:
            return self.price
        if self.previous_at is not None and self.previous_at <= start:
            return self.previous_price
        return None

    def then(self, at: datetime, price: Decimal) -> SessionClose:
        """This record with the close ``at`` added as the latest."""
        return SessionClose(symbol=self.symbol, at=at, price=price, previous_at=self.at, previous_price=self.price)
