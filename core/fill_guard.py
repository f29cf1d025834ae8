"""The last line of defence: a fill is booked only as far as it keeps the account's invariants. A cash
account's cash never goes below zero, and nothing that cannot be shorted (anything on a cash account, crypto,
a listing its venue will not lend) ever goes below zero. The gate should make this never bite; when it does,
a gate bug costs a cancelled remainder, not a short or an overdraft."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from core.accounts import Account, AccountKind
from core.instruments import AssetClass, Instrument
from core.orders import Side

ZERO = Decimal(0)
WOULD_OPEN_SHORT = "would_open_short"
INSUFFICIENT_CASH = "insufficient_cash"


def never_short(account: Account, instrument: Instrument) -> bool:
    """Whether ``instrument`` may never be held short on ``account``."""
    return (account.kind is AccountKind.CASH or not instrument.shortable
            or instrument.asset_class is AssetClass.CRYPTO)


def may_break(side: Side, held: Decimal, quantity: Decimal, instrument: Instrument) -> bool:
    """Whether a fill could break an invariant at all (cheap, no account needed): a sell past zero, or a buy
    paid in cash."""
    return (side is Side.SELL and quantity > held) or (side is Side.BUY and instrument.cash_settled_notional)


def bookable(
    account: Account, instrument: Instrument, side: Side, quantity: Decimal, price: Decimal, held: Decimal,
    cash: Decimal | None, lot: Decimal,
) -> tuple[Decimal, str | None]:
    """How much of a fill of ``quantity`` at ``price`` can be booked (whole ``lot`` steps), and why not all of
    it: ``would_open_short`` or ``insufficient_cash``. ``cash`` is the account's cash (needed for a cash
    account's buy only)."""
    if side is Side.SELL:
        room = max(held, ZERO) if never_short(account, instrument) else quantity
        return (quantity, None) if quantity <= room else (_lots(room, lot), WOULD_OPEN_SHORT)
    if account.kind is AccountKind.CASH and instrument.cash_settled_notional and cash is not None:
        afford = max(cash, ZERO) / (price * instrument.multiplier)
        if quantity > afford:
            return _lots(afford, lot), INSUFFICIENT_CASH
    return quantity, None


def _lots(quantity: Decimal, lot: Decimal) -> Decimal:
    return ((quantity / lot).to_integral_value(rounding=ROUND_DOWN) * lot).quantize(lot)
