"""Where an account's orders go, and whether it may trade real money there.

An account trades on Parley's own paper broker unless configuration points it at a venue (Alpaca, a CCXT
exchange) in one of its environments. Real money needs two keys: the platform's switch (PARLEY_LIVE_TRADING=1)
and the account's own flag, which only an admin sets. Every confirmation ticket says which it is.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from core.errors import Forbidden


class Environment(StrEnum):
    PAPER = "paper"  # simulated money: Parley's paper broker, or a venue's paper-trading API
    SANDBOX = "sandbox"  # an exchange's test network: simulated money too
    LIVE = "live"  # real money


class Venue(BaseModel):
    """``name`` is ``paper`` (Parley's own simulation) or the venue's: ``alpaca``, a CCXT exchange id."""

    model_config = ConfigDict(frozen=True)

    name: str = "paper"
    environment: Environment = Environment.PAPER

    @property
    def live(self) -> bool:
        return self.environment is Environment.LIVE

    @property
    def label(self) -> str:
        """What every ticket says: ``PAPER``, ``PAPER at alpaca``, ``PAPER at binance sandbox``, ``LIVE at alpaca``."""
        if self.name == "paper":
            return "PAPER"
        where = f"{self.name} sandbox" if self.environment is Environment.SANDBOX else self.name
        return f"{'LIVE' if self.live else 'PAPER'} at {where}"

    @property
    def title(self) -> str:
        """The venue's name as a trader reads it: ``Alpaca``, ``Binance``."""
        return "Parley's paper broker" if self.name == "paper" else self.name.capitalize()

    def __str__(self) -> str:
        return self.name if self.name == "paper" else f"{self.name}:{self.environment.value}"


PAPER = Venue()
# The reason an order is pending_new: it may have reached its venue, which has not confirmed it yet (a lost answer,
# a rate limit). Never guessed either way: reconciliation settles it from the venue's own answer.
UNCONFIRMED = "venue_unconfirmed"


def unconfirmed_words(venue: Venue | None) -> str:
    """How a pending_new order is shown to the trader, in the API and in chats."""
    return f"sent; waiting for {venue.title if venue is not None else 'the venue'} to confirm"


def live_refusal(venue: Venue, platform_allows: bool, account_allows: bool) -> str | None:
    """Why an order may not go to ``venue`` now, or None. Only live venues need both keys."""
    if not venue.live:
        return None
    if not platform_allows:
        return f"live trading is switched off on this platform (PARLEY_LIVE_TRADING); nothing was sent to {venue.name}"
    if not account_allows:
        return f"live trading is not enabled for this account by an admin; nothing was sent to {venue.name}"
    return None


class LiveTradingDisabled(Forbidden):
    """An order for a live venue without both keys turned (see ``live_refusal``)."""

    code = "live_trading_disabled"
