"""The pre-trade risk gate: each check at its boundary, all reasons together, and risk that may be cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.accounts import Account
from core.errors import RiskRejected
from core.instruments import AssetClass, Instrument, InstrumentCatalog
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus, OrderType, Side
from core.portfolio import Position
from core.risk import RiskContext, RiskDecision, check_order
from core.risk_limits import RiskLimits

D = Decimal
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CATALOG = InstrumentCatalog(
    [
        Instrument(symbol=s, asset_class=AssetClass.EQUITY, tick_size=D("0.01"), lot_size=D(1))
        for s in ("AAPL", "MSFT", "JPM")
    ]
    + [Instrument(symbol="CL", asset_class=AssetClass.FUTURE, tick_size=D("0.01"), lot_size=D(1), multiplier=D(1000))]
)

# Every check off: each test switches on only the limit it is about.
ALL_OFF = {
    "max_order_quantity": None,
    "max_order_notional": None,
    "price_collar_percent": None,
    "max_position_quantity": None,
    "max_gross_exposure": None,
    "daily_loss_limit": None,
    "duplicate_window_seconds": 0,
    "max_orders_per_minute": None,
}


def account(**limits: object) -> Account:
    return Account(id="acc-1", created_at=NOW, limits=RiskLimits(**{**ALL_OFF, **limits}))


def quote(
    symbol: str = "AAPL", bid: str = "99.99", ask: str = "100.01", last: str | None = None, age: float = 0
) -> Quote:
    return Quote(
        symbol=symbol, bid=D(bid), ask=D(ask), last=D(last) if last else None, time=NOW - timedelta(seconds=age)
    )


def position(symbol: str, quantity: str, average_price: str) -> Position:
    return Position(
        account_id="acc-1", symbol=symbol, quantity=D(quantity), average_price=D(average_price), updated_at=NOW
    )


def recent(
    symbol: str = "AAPL", side: Side = Side.BUY, quantity: str = "100", age: float = 1, status=OrderStatus.ACCEPTED
) -> Order:
    created = NOW - timedelta(seconds=age)
    return Order(
        id=f"o-{symbol}-{age}-{quantity}", account_id="acc-1", symbol=symbol, side=side, quantity=D(quantity),
        status=status, created_at=created, updated_at=created,
    )  # fmt: skip


def buy(quantity: str = "100", **fields: object) -> OrderRequest:
    return OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(quantity), **fields)


def sell(quantity: str = "100", symbol: str = "AAPL", **fields: object) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=Side.SELL, quantity=D(quantity), **fields)


def check(
    request: OrderRequest,
    acct: Account | None = None,
    *,
    q: Quote | None = None,
    positions: tuple[Position, ...] = (),
    quotes: tuple[Quote, ...] = (),
    orders: tuple[Order, ...] = (),
    realised: str = "0",
    kill: bool = False,
    use_quote: bool = True,
) -> RiskDecision:
    order_quote = (q or quote(request.symbol)) if use_quote else None
    symbols = {p.symbol for p in positions} | {request.symbol}
    ctx = RiskContext(
        account=acct or account(),
        instrument=CATALOG.get(request.symbol),
        quote=order_quote,
        now=NOW,
        positions=list(positions),
        instruments={s: CATALOG.get(s) for s in symbols},
        quotes={x.symbol: x for x in quotes},
        recent_orders=list(orders),
        realised_pnl_today=D(realised),
        global_kill_switch=kill,
    )
    return check_order(request, ctx)


def codes(decision: RiskDecision) -> list[str]:
    return [r.code for r in decision.reasons]


def test_an_order_within_the_default_limits_is_approved_with_no_reasons() -> None:
    default = Account(id="acc-1", created_at=NOW)
    decision = check(buy(limit_price=D("100.00"), order_type=OrderType.LIMIT), default, orders=(recent(age=30),))
    assert decision.approved
    assert decision.reasons == []
    assert decision.message == "Risk OK."
    assert decision.checked_at == NOW


def test_limits_set_to_none_switch_their_checks_off() -> None:
    decision = check(buy("1000000"), positions=(position("MSFT", "900000", "400"),), realised="-99999999")
    assert decision.approved


def test_the_global_kill_switch_rejects_every_order() -> None:
    assert codes(check(buy(), kill=True)) == ["kill_switch_global"]
    assert check(buy(), kill=False).approved


def test_the_account_kill_switch_rejects_every_order_of_that_account() -> None:
    assert codes(check(buy(), account(kill_switch=True))) == ["kill_switch_account"]


def test_restricted_symbols_are_matched_case_insensitively() -> None:
    acct = account(restricted_symbols=[" aapl "])
    assert codes(check(buy(), acct)) == ["restricted_instrument"]
    assert check(sell(symbol="MSFT"), acct).approved


def test_order_quantity_at_the_limit_passes_and_one_more_is_rejected() -> None:
    acct = account(max_order_quantity=D("100"))
    assert check(buy("100"), acct).approved
    decision = check(buy("101"), acct)
    assert codes(decision) == ["max_order_quantity"]
    reason = decision.reasons[0]
    assert (reason.limit, reason.value) == ("100", "101")
    assert reason.message == "Order quantity 101 exceeds your limit of 100."


def test_order_notional_is_judged_at_the_limit_price_then_the_stop_then_the_quote() -> None:
    acct = account(max_order_notional=D("10000"))
    assert check(buy(order_type=OrderType.LIMIT, limit_price=D("100.00")), acct).approved
    over = check(buy(order_type=OrderType.LIMIT, limit_price=D("100.01")), acct)
    assert codes(over) == ["max_order_notional"]
    assert (over.reasons[0].limit, over.reasons[0].value) == ("10000.00", "10001.00")
    assert codes(check(buy(order_type=OrderType.STOP, stop_price=D("100.01")), acct)) == ["max_order_notional"]
    # market orders use the side's price: the ask (100.01) to buy, the bid (99.99) to sell
    assert codes(check(buy(), acct)) == ["max_order_notional"]
    assert check(sell(), acct).approved


def test_order_notional_counts_the_contract_multiplier() -> None:
    acct = account(max_order_notional=D("70000"))
    crude = quote("CL", bid="69.99", ask="70.00")
    assert check(OrderRequest(symbol="CL", side=Side.BUY, quantity=D(1)), acct, q=crude).approved
    two = OrderRequest(symbol="CL", side=Side.BUY, quantity=D(2))
    assert codes(check(two, acct, q=crude)) == ["max_order_notional"]


def test_an_order_with_no_price_at_all_skips_notional_checks() -> None:
    trailing = sell(order_type=OrderType.TRAILING_STOP, trail_amount=D("1"))
    acct = account(max_order_notional=D("1"), max_gross_exposure=D("1"))
    assert check(trailing, acct, use_quote=False).approved


def test_a_price_exactly_at_the_collar_passes_and_one_tick_beyond_is_rejected() -> None:
    acct = account(price_collar_percent=D("10"))  # mid is 100.00
    assert check(buy(order_type=OrderType.LIMIT, limit_price=D("110.00")), acct).approved
    assert check(buy(order_type=OrderType.LIMIT, limit_price=D("90.00")), acct).approved
    decision = check(buy(order_type=OrderType.LIMIT, limit_price=D("110.01")), acct)
    assert codes(decision) == ["price_collar"]
    assert (decision.reasons[0].limit, decision.reasons[0].value) == ("10.00", "10.01")
    assert "110.01" in decision.reasons[0].message and "10.00%" in decision.reasons[0].message


def test_every_price_of_a_bracket_is_collared() -> None:
    acct = account(price_collar_percent=D("10"))
    bracket = buy(
        order_type=OrderType.BRACKET, limit_price=D("100"), take_profit_price=D("130"), stop_loss_price=D("80")
    )
    decision = check(bracket, acct)
    assert codes(decision) == ["price_collar", "price_collar"]
    assert "Take-profit price 130" in decision.reasons[0].message
    assert "Stop-loss price 80" in decision.reasons[1].message


def test_the_collar_is_skipped_without_a_fresh_quote() -> None:
    acct = account(price_collar_percent=D("10"), quote_max_age_seconds=60)
    far = buy(order_type=OrderType.LIMIT, limit_price=D("150.00"))
    assert check(far, acct, q=quote(age=61)).approved
    assert check(far, acct, use_quote=False).approved


def test_a_resulting_position_at_the_limit_passes_and_beyond_it_is_rejected() -> None:
    acct = account(max_position_quantity=D("50"))
    long = (position("AAPL", "40", "100"),)
    assert check(buy("10"), acct, positions=long).approved
    decision = check(buy("11"), acct, positions=long)
    assert codes(decision) == ["max_position"]
    assert (decision.reasons[0].limit, decision.reasons[0].value) == ("50", "51")
    short = (position("AAPL", "-40", "100"),)
    assert codes(check(sell("11"), acct, positions=short)) == ["max_position"]


def test_gross_exposure_adds_every_position_at_its_mark_to_the_order_notional() -> None:
    positions = (position("MSFT", "100", "150"), position("CL", "-1", "60"), position("JPM", "0", "10"))
    quotes = (quote("MSFT", bid="199.99", ask="200.01", last="200"), quote("CL", bid="69.99", ask="70.01"))
    # 100 x 200 + 1 x 70 x 1000 + order 100 x 100.00 = 100,000
    order = buy(order_type=OrderType.LIMIT, limit_price=D("100.00"))
    assert check(order, account(max_gross_exposure=D("100000")), positions=positions, quotes=quotes).approved
    decision = check(order, account(max_gross_exposure=D("99999.99")), positions=positions, quotes=quotes)
    assert codes(decision) == ["max_gross_exposure"]
    assert decision.reasons[0].value == "100000.00"


def test_a_position_without_a_quote_counts_at_its_average_price() -> None:
    positions = (position("MSFT", "100", "150"),)
    order = buy(order_type=OrderType.LIMIT, limit_price=D("100.00"))
    assert check(order, account(max_gross_exposure=D("25000")), positions=positions).approved
    assert not check(order, account(max_gross_exposure=D("24999")), positions=positions).approved


def test_a_loss_exactly_at_the_daily_limit_passes_and_beyond_it_is_rejected() -> None:
    acct = account(daily_loss_limit=D("50000"))
    positions = (position("MSFT", "100", "300"),)
    quotes = (quote("MSFT", bid="99.99", ask="100.01", last="100"),)  # unrealised -20,000
    assert check(buy(), acct, positions=positions, quotes=quotes, realised="-30000").approved
    decision = check(buy(), acct, positions=positions, quotes=quotes, realised="-30000.01")
    assert codes(decision) == ["daily_loss_limit"]
    assert (decision.reasons[0].limit, decision.reasons[0].value) == ("50000.00", "-50000.01")
    assert decision.reasons[0].message == (
        "Today's loss of 50,000.01 USD is beyond your daily loss limit of 50,000.00 USD."
    )


def test_the_same_order_inside_the_duplicate_window_is_rejected_and_just_after_it_passes() -> None:
    acct = account(duplicate_window_seconds=5)
    decision = check(buy(), acct, orders=(recent(age=5),))
    assert codes(decision) == ["duplicate_order"]
    assert (decision.reasons[0].limit, decision.reasons[0].value) == ("5", "5")
    assert check(buy(), acct, orders=(recent(age=5.001),)).approved


def test_only_the_same_symbol_side_and_quantity_is_a_duplicate_and_rejected_orders_never_are() -> None:
    acct = account(duplicate_window_seconds=5)
    others = (
        recent(symbol="MSFT"),
        recent(side=Side.SELL),
        recent(quantity="101"),
        recent(status=OrderStatus.REJECTED),
    )
    assert check(buy(), acct, orders=others).approved
    assert codes(check(buy(), acct, orders=(recent(status=OrderStatus.FILLED),))) == ["duplicate_order"]


def test_an_order_withdrawn_unfilled_is_no_duplicate_but_a_partly_filled_one_is() -> None:
    acct = account(duplicate_window_seconds=5)
    assert check(buy(), acct, orders=(recent(status=OrderStatus.CANCELLED),)).approved
    assert check(buy(), acct, orders=(recent(status=OrderStatus.EXPIRED),)).approved
    partly = recent(status=OrderStatus.CANCELLED).model_copy(update={"filled_quantity": D("40")})
    assert codes(check(buy(), acct, orders=(partly,))) == ["duplicate_order"]


def test_the_order_rate_rejects_once_the_minute_holds_as_many_orders_as_the_limit() -> None:
    acct = account(max_orders_per_minute=3)
    two = tuple(recent(symbol="MSFT", age=a) for a in (1, 30))
    stale = recent(symbol="MSFT", age=61)
    assert check(buy(), acct, orders=(*two, stale)).approved
    decision = check(buy(), acct, orders=(*two, recent(symbol="MSFT", age=60)))
    assert codes(decision) == ["order_rate"]
    assert (decision.reasons[0].limit, decision.reasons[0].value) == ("3", "3")


def test_a_market_order_needs_a_quote_no_older_than_the_limit() -> None:
    acct = account(quote_max_age_seconds=60)
    assert check(buy(), acct, q=quote(age=60)).approved
    stale = check(buy(), acct, q=quote(age=61))
    assert codes(stale) == ["no_fresh_quote"]
    assert (stale.reasons[0].limit, stale.reasons[0].value) == ("60", "61")
    assert codes(check(buy(), acct, use_quote=False)) == ["no_fresh_quote"]


def test_a_stale_quote_rejects_a_market_order_but_not_a_limit_order() -> None:
    acct = account(quote_max_age_seconds=60)
    assert check(buy(order_type=OrderType.LIMIT, limit_price=D("100")), acct, q=quote(age=600)).approved
    assert not check(buy(), acct, q=quote(age=600)).approved


def test_a_bracket_without_an_entry_price_needs_a_fresh_quote_and_one_with_a_price_does_not() -> None:
    prices = {"take_profit_price": D("110"), "stop_loss_price": D("90")}
    at_market = buy(order_type=OrderType.BRACKET, **prices)
    assert codes(check(at_market, use_quote=False)) == ["no_fresh_quote"]
    assert check(buy(order_type=OrderType.BRACKET, limit_price=D("100"), **prices), use_quote=False).approved


def test_every_failing_check_is_reported_together() -> None:
    acct = account(
        kill_switch=True, restricted_symbols=["AAPL"], max_order_quantity=D("10"), max_order_notional=D("1000"),
        price_collar_percent=D("1"), max_position_quantity=D("10"), max_gross_exposure=D("1000"),
        daily_loss_limit=D("1"), duplicate_window_seconds=5, max_orders_per_minute=1,
    )  # fmt: skip
    decision = check(
        buy(order_type=OrderType.LIMIT, limit_price=D("120")), acct, orders=(recent(),), realised="-5", kill=True
    )
    assert codes(decision) == [
        "kill_switch_global", "kill_switch_account", "restricted_instrument", "max_order_quantity",
        "max_order_notional", "price_collar", "max_position", "max_gross_exposure", "daily_loss_limit",
        "duplicate_order", "order_rate",
    ]  # fmt: skip
    assert not decision.approved
    assert decision.message.startswith("Rejected: trading is halted platform-wide")
    assert decision.message.count("; ") == len(decision.reasons) - 1
    for reason in decision.reasons:
        assert reason.message.rstrip(".")[1:] in decision.message


def test_an_order_that_only_cuts_a_position_passes_even_when_the_account_is_over_its_limits() -> None:
    acct = account(max_position_quantity=D("50"), max_gross_exposure=D("1000"), daily_loss_limit=D("100"))
    positions = (position("AAPL", "100", "150"),)
    quotes = (quote(last="100"),)
    assert check(sell("100"), acct, positions=positions, quotes=quotes, realised="-10000").approved
    flips = check(sell("101"), acct, positions=positions, quotes=quotes, realised="-10000")
    assert codes(flips) == ["max_gross_exposure", "daily_loss_limit"]
    adds = check(buy("1"), acct, positions=positions, quotes=quotes, realised="-10000")
    assert codes(adds) == ["max_position", "max_gross_exposure", "daily_loss_limit"]


def test_a_kill_switch_blocks_even_an_order_that_cuts_risk() -> None:
    positions = (position("AAPL", "100", "100"),)
    assert codes(check(sell("100"), positions=positions, kill=True)) == ["kill_switch_global"]
    assert codes(check(sell("100"), account(kill_switch=True), positions=positions)) == ["kill_switch_account"]


def test_messages_name_the_value_and_the_limit_with_thousands_separators_and_currency() -> None:
    acct = account(max_order_notional=D("1000000"))
    decision = check(buy("10000", order_type=OrderType.LIMIT, limit_price=D("190.00")), acct)
    assert decision.reasons[0].message == "Order notional 1,900,000.00 USD exceeds your limit of 1,000,000.00 USD."
    assert decision.message == "Rejected: order notional 1,900,000.00 USD exceeds your limit of 1,000,000.00 USD."


def test_a_rejection_becomes_a_risk_rejected_error_carrying_its_reasons() -> None:
    decision = check(buy("101"), account(max_order_quantity=D("100")))
    error = decision.as_error()
    assert isinstance(error, RiskRejected)
    assert error.message == decision.message
    assert error.details["reasons"] == [
        {"code": "max_order_quantity", "message": decision.reasons[0].message, "limit": "100", "value": "101"}
    ]
    with pytest.raises(RiskRejected, match="order quantity 101"):
        raise error
