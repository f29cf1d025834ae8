"""Buying power: what an account can still commit, as Reg T margin accounts and cash accounts reckon it.

- Equities: a cash account pays the full notional; a margin account puts up the initial margin rate
  (50%, Reg T) of it, and may sell short.
- Futures: each contract ties up the instrument's initial margin (the catalog's figure), on either kind.
- Crypto: always paid in full, in cash.
Available funds are equity less what the positions and working orders tie up; buying power is what those
funds buy: twice them in equities on a margin account, once on a cash account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from core.accounts import Account, AccountKind
from core.instruments import AssetClass, Instrument
from core.portfolio import Position
from core.promised import Promised

ZERO = Decimal(0)
ONE = Decimal(1)
EQUITY_INITIAL_MARGIN = Decimal("0.5")  # Reg T


def rate(account: Account, instrument: Instrument) -> Decimal:
    """The part of a notional that must be put up: 1 (paid in full) or the initial margin rate."""
    if instrument.asset_class is AssetClass.EQUITY and account.kind is AccountKind.MARGIN:
        return EQUITY_INITIAL_MARGIN
    return ONE


def requirement(account: Account, instrument: Instrument, quantity: Decimal, price: Decimal) -> Decimal:
    """The funds ``quantity`` (absolute) of ``instrument`` ties up at ``price``."""
    if instrument.asset_class is AssetClass.FUTURE:
        per_contract = instrument.initial_margin
        if per_contract is None:  # a future with no margin in the catalog: its full notional, to be safe
            return instrument.notional(quantity, price)
        return abs(quantity) * per_contract
    return instrument.notional(quantity, price) * rate(account, instrument)


def committed(
    account: Account, positions: Iterable[Position], instruments: Mapping[str, Instrument],
    marks: Mapping[str, Decimal],
) -> tuple[Decimal, Decimal]:
    """(committed, margin used) by the open positions: every position ties up its requirement at the mark
    (a cash account's stock its full value, since it was paid for; a margin account's half; a future its
    margin); the margin used is the part of that on margin (futures, and equities on a margin account)."""
    total = margined = ZERO
    for position in positions:
        if position.quantity == 0:
            continue
        instrument = instruments[position.symbol]
        tied = requirement(account, instrument, position.quantity, marks.get(position.symbol, position.average_price))
        total += tied
        if instrument.asset_class is AssetClass.FUTURE or rate(account, instrument) < ONE:
            margined += tied
    return total, margined


def buying_power(account: Account, available: Decimal) -> Decimal:
    """What ``available`` funds buy in equities: twice as much on margin (50% initial margin), once in cash."""
    if available <= 0:
        return ZERO
    return available / EQUITY_INITIAL_MARGIN if account.kind is AccountKind.MARGIN else available


def working_requirement(
    account: Account, promises: Iterable[Promised], instruments: Mapping[str, Instrument],
    marks: Mapping[str, Decimal],
) -> Decimal:
    """What the working orders would tie up if they filled, at their price (or the mark): only the part that
    opens a position (core.promised). A sell that only closes a long ties up nothing; it frees funds when it
    fills."""
    total = ZERO
    for promise in promises:
        instrument = instruments.get(promise.symbol)
        if instrument is None:
            continue
        for _, quantity, price in promise.opening:
            price = price if price is not None else marks.get(promise.symbol)
            if price is not None:
                total += requirement(account, instrument, quantity, price)
    return total
