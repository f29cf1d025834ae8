"""Notional orders: an amount of money becomes a quantity at a fresh price, rounded down to the lot size."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from core.accounts import Account
from core.errors import InvalidRequest, QuoteUnavailable
from core.instruments import Instrument
from core.market import Quote
from core.orders import OrderRequest
from core.wording import formats


def sized(
    request: OrderRequest, instrument: Instrument, quote: Quote | None, now: datetime, account: Account,
    pays: Decimal | None = None,
) -> OrderRequest:
    """``request`` with its quantity: as given, or derived from its notional at the price it would trade at
    (``pays``: what the fill will pay, slippage included; else the ask to buy, the bid to sell), never more
    than the notional buys. The notional itself is dropped
    from the result; the stored order keeps it beside the quantity."""
    notional = request.notional
    if notional is None:
        return request
    max_age = timedelta(seconds=account.limits.quote_max_age_seconds)
    if quote is None or not quote.is_fresh(now, max_age):
        raise QuoteUnavailable(
            f"An order for an amount needs a fresh {instrument.symbol} price to size it, and there is none "
            f"younger than {account.limits.quote_max_age_seconds} s.",
            symbol=instrument.symbol,
        )
    price = pays if pays is not None else quote.price_to(request.side)
    lot = instrument.lot(request.fractional)
    lots = (notional / (price * instrument.multiplier) / lot).to_integral_value(rounding=ROUND_DOWN)
    quantity = (lots * lot).quantize(lot)
    if quantity <= 0:
        raise InvalidRequest(
            f"{formats.money(notional, instrument.currency)} buys less than one lot ({formats.quantity(lot)}) of "
            f"{instrument.symbol} at {formats.price(price, instrument.symbol)}.",
            code="notional_too_small", field="notional",
        )
    return request.model_copy(update={"quantity": quantity, "notional": None})
