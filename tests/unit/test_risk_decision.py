"""The risk gate's decision as a whole: every reason reported together, orders that cut risk, messages, the error."""

from __future__ import annotations

import pytest

from core.accounts import TradingState
from core.errors import RiskRejected
from core.orders import OrderType
from tests.unit.risk_support import D, account, buy, check, codes, position, quote, recent, sell


def test_every_failing_check_is_reported_together() -> None:
    acct = account(
        TradingState.HALTED, restricted_symbols=["AAPL"], max_order_quantity=D("10"), max_order_notional=D("1000"),
        price_collar_percent=D("1"), max_position_quantity=D("10"), max_gross_exposure=D("1000"),
        daily_loss_limit=D("1"), duplicate_window_seconds=5, max_orders_per_minute=1,
    )  # fmt: skip
    decision = check(
        buy(order_type=OrderType.LIMIT, limit_price=D("120")), acct,
        orders=(recent(order_type=OrderType.LIMIT, limit_price=D("120")),), realised="-5", kill=True,
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
    assert codes(check(sell("100"), account(TradingState.HALTED), positions=positions)) == ["kill_switch_account"]


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
