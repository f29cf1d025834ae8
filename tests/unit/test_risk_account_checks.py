"""The risk gate's checks against the account: position size, gross exposure, daily loss, duplicates, order rate."""

from __future__ import annotations

from core.orders import OrderStatus, OrderType, Side
from tests.unit.risk_support import D, account, buy, check, codes, position, quote, recent, sell


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
