"""Checks an order must pass against the market it enters, before the risk gate: a bracket's exits beyond
its base price, a stop that is not already triggered, a trail of at least one tick, a value a decimal can hold."""

from __future__ import annotations

from core.brackets import check_exits_beyond
from core.errors import InvalidRequest
from core.instruments import Instrument
from core.market import Quote
from core.numbers import MAX_ORDER_VALUE
from core.orders import OrderRequest, OrderType
from core.wording import formats

_STOPS = (OrderType.STOP, OrderType.STOP_LIMIT)


def check_against_market(request: OrderRequest, instrument: Instrument, quote: Quote | None) -> None:
    """Raise InvalidRequest (422) for an order that would do at once what its type says it waits for."""
    check_value(request, instrument, quote)
    if request.order_type is OrderType.BRACKET:
        base = request.limit_price or (quote.price_to(request.side) if quote is not None else None)
        if base is not None:
            check_exits_beyond(request, base, instrument)
    if quote is None:
        return
    on_last = instrument.triggers_on_last
    stop = request.stop_price
    if request.order_type in _STOPS and stop is not None and quote.stop_touched(request.side, stop, on_last):
        market = quote.trigger_price(request.side, on_last)
        where = "at or below" if request.side.value == "buy" else "at or above"
        raise InvalidRequest(
            f"A {request.side.value} stop at {stop} is {where} the market ({market}): it would trigger the moment "
            "it is placed. Send a market or limit order instead, or a stop beyond the market.",
            code="stop_already_triggered", field="stop_price", market=str(market),
        )
    if request.trail_percent is not None:
        reference = quote.trigger_price(request.side, on_last)
        if reference * request.trail_percent / 100 < instrument.tick_size:
            raise InvalidRequest(
                f"A trail of {request.trail_percent}% of {reference} is under one {instrument.symbol} tick "
                f"({instrument.tick_size}).",
                code="trail_under_one_tick", field="trail_percent",
            )


def check_value(request: OrderRequest, instrument: Instrument, quote: Quote | None) -> None:
    """Each number of an order is bounded (core.numbers), but not their product: quantity x price past the
    decimal context would fail the gate's money arithmetic. Refused as ``number_too_large`` before it."""
    prices = [p for p in (request.limit_price, request.stop_price, request.take_profit_price,
                          request.stop_loss_price) if p is not None]
    if quote is not None:
        prices.append(quote.price_to(request.side))
    if not prices:
        return
    value = instrument.notional(request.size, max(prices))
    if value >= MAX_ORDER_VALUE:
        raise InvalidRequest(
            f"This order's value ({formats.quantity(request.size)} x {formats.price(max(prices), instrument.symbol)} "
            f"{instrument.currency}) is too large for any market: it must stay below "
            f"{formats.quantity(MAX_ORDER_VALUE)}.",
            code="number_too_large", field="quantity", limit=f"{MAX_ORDER_VALUE:f}",
        )
