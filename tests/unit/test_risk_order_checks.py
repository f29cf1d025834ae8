"""The risk gate's checks on the order itself: kill switches, restricted symbols, size, notional, collar, quote age."""

from __future__ import annotations

from core.accounts import Account, TradingState
from core.orders import OrderRequest, OrderType, Side
from tests.unit.risk_support import NOW, D, account, buy, check, codes, position, quote, recent, sell


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
    assert codes(check(buy(), account(TradingState.HALTED))) == ["kill_switch_account"]


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


def test_an_opening_order_with_no_price_at_all_is_refused_rather_than_left_unchecked() -> None:
    trailing = sell(order_type=OrderType.TRAILING_STOP, trail_amount=D("1"))
    acct = account(max_order_notional=D("1"), max_gross_exposure=D("1"))
    assert codes(check(trailing, acct, use_quote=False)) == ["no_reference_price"]


def test_a_price_exactly_at_the_collar_passes_and_one_tick_beyond_is_rejected() -> None:
    acct = account(price_collar_percent=D("10"))  # mid is 100.00
    assert check(buy(order_type=OrderType.LIMIT, limit_price=D("110.00")), acct).approved
    assert check(buy(order_type=OrderType.LIMIT, limit_price=D("90.00")), acct).approved
    decision = check(buy(order_type=OrderType.LIMIT, limit_price=D("110.01")), acct)
    assert codes(decision) == ["price_collar"]
    assert (decision.reasons[0].limit, decision.reasons[0].value) == ("10.00", "10.01")
    assert "110.01" in decision.reasons[0].message and "10.00%" in decision.reasons[0].message


def test_only_a_price_that_trades_now_is_collared_never_a_resting_or_protective_one() -> None:
    acct = account(price_collar_percent=D("10"))  # mid is 100.00
    resting = buy(order_type=OrderType.LIMIT, limit_price=D("90.00"))  # 10% under the market, waiting
    protective = sell(order_type=OrderType.STOP, stop_price=D("87.50"))  # a stop 12.5% under the market
    exits = buy(order_type=OrderType.BRACKET, limit_price=D("100.01"), take_profit_price=D("130"),
                stop_loss_price=D("80"))
    assert check(resting, acct).approved
    assert check(protective, acct, positions=(position("AAPL", "100", "95"),)).approved
    assert check(exits, acct).approved
    through = sell(order_type=OrderType.LIMIT, limit_price=D("80.00"))  # sells at once, 20% through the mid
    decision = check(through, acct, positions=(position("AAPL", "100", "95"),))
    assert codes(decision) == ["price_collar"]
    assert "Limit price 80" in decision.reasons[0].message


def test_the_collar_is_skipped_without_a_fresh_quote() -> None:
    acct = account(price_collar_percent=D("10"), quote_max_age_seconds=60)
    far = buy(order_type=OrderType.LIMIT, limit_price=D("150.00"))
    assert check(far, acct, q=quote(age=61)).approved
    assert check(far, acct, use_quote=False).approved


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
