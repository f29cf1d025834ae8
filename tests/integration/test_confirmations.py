"""Confirmation tickets on a real SQLite store: one-time codes, deadlines, second risk check, price drift."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from agent.replies import ticket_summary
from core import usecases as uc
from core.errors import Conflict, NotFound, RiskRejected
from core.orders import OrderStatus
from core.usecases import PriceMoved
from tests.support import order, tick


def test_a_ticket_reads_as_the_trader_expects_and_executes_once(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    ticket = uc.stage_order(service, "alice", order("AAPL", "buy", "10", order_type="limit", limit_price="190"))
    assert ticket_summary(ticket) == "BUY 10 AAPL LMT 190.00 DAY, est. 1,900.00 USD, risk OK, PAPER"
    assert len(ticket.code) == 4 and ticket.code.isdigit()
    assert ticket.expires_at == clock.now + timedelta(minutes=2)
    assert uc.get_order(service, "alice", ticket.order_id).status is OrderStatus.PENDING_CONFIRMATION
    assert uc.positions(service, "alice") == []
    working = uc.confirm_order(service, "alice", ticket.code)
    assert working.status is OrderStatus.ACCEPTED  # a buy limit at 190 under a 190.02 ask rests
    with pytest.raises(Conflict) as reused:
        uc.confirm_order(service, "alice", ticket.code)
    assert reused.value.code == "ticket_used"
    tick(service, clock, "AAPL", "189.96", "190.00")
    assert uc.get_order(service, "alice", ticket.order_id).status is OrderStatus.FILLED
    assert uc.positions(service, "alice")[0].quantity == D(10)


def test_a_code_from_another_account_or_a_made_up_one_is_refused(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    uc.create_account(service, "bob")
    ticket = uc.stage_order(service, "alice", order("AAPL", "buy", "1"))
    for account, code in (("bob", ticket.code), ("alice", "0000" if ticket.code != "0000" else "0001")):
        with pytest.raises(NotFound) as refused:
            uc.confirm_order(service, account, code)
        assert refused.value.code == "ticket_not_found"
    assert uc.get_order(service, "alice", ticket.order_id).status is OrderStatus.PENDING_CONFIRMATION


def test_a_ticket_past_its_deadline_expires_instead_of_executing(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    ticket = uc.stage_order(service, "alice", order("AAPL", "buy", "1"))
    clock.advance(minutes=2, seconds=1)
    with pytest.raises(Conflict) as late:
        uc.confirm_order(service, "alice", ticket.code)
    assert late.value.code == "ticket_expired" and "send the order again" in late.value.message
    assert uc.get_order(service, "alice", ticket.order_id).status is OrderStatus.EXPIRED


def test_a_market_that_moved_past_the_band_asks_again_with_a_new_code(service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    first = uc.stage_order(service, "alice", order("CL", "buy", "1"))
    tick(service, clock, "CL", "71.00", "71.02")  # +1.43%, over the default 1% band
    with pytest.raises(PriceMoved) as moved:
        uc.confirm_order(service, "alice", first.code)
    second = moved.value.details["ticket"]
    assert second.code != first.code and "moved 1.43%" in moved.value.message
    assert uc.get_order(service, "alice", first.order_id).status is OrderStatus.CANCELLED
    assert uc.confirm_order(service, "alice", second.code).average_price == D("71.02")


@pytest.mark.parametrize(("side", "bid", "ask", "moved"), [
    ("buy", "68.99", "69.01", "1.44"),  # the ask fell 1.44%: the buyer would pay less than asked, still asked
    ("sell", "68.98", "69.00", "1.46"),  # the bid fell 1.46%: the seller would get less
])
def test_a_market_that_fell_past_the_band_asks_again_too(service, clock, side: str, bid: str, ask: str,
                                                         moved: str) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    uc.place_order(service, "alice", order("CL", "buy", "2"))  # something to sell
    first = uc.stage_order(service, "alice", order("CL", side, "1"))
    tick(service, clock, "CL", bid, ask)
    with pytest.raises(PriceMoved) as fell:
        uc.confirm_order(service, "alice", first.code)
    assert f"moved {moved}%" in fell.value.message
    assert uc.get_order(service, "alice", first.order_id).status is OrderStatus.CANCELLED


def test_a_market_that_moved_inside_the_band_either_way_does_not_ask_again(service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    for bid, ask in (("70.60", "70.62"), ("69.40", "69.42")):  # +0.86% and -0.86%
        ticket = uc.stage_order(service, "alice", order("CL", "buy", "1"))
        tick(service, clock, "CL", bid, ask)
        assert uc.confirm_order(service, "alice", ticket.code).status is OrderStatus.FILLED
        tick(service, clock, "CL", "70.00", "70.02")
        clock.advance(seconds=10)  # past the duplicate window


def test_the_second_risk_check_refuses_a_ticket_once_the_kill_switch_is_on(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    ticket = uc.stage_order(service, "alice", order("AAPL", "buy", "1"))
    uc.set_kill_switch(service, uc.get_account(service, "ops"), engaged=True, account_id="alice")
    with pytest.raises(RiskRejected):
        uc.confirm_order(service, "alice", ticket.code)
    assert uc.get_order(service, "alice", ticket.order_id).status is OrderStatus.REJECTED


def test_an_order_the_gate_refuses_never_becomes_a_ticket(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    with pytest.raises(RiskRejected) as refused:
        uc.stage_order(service, "alice", order("AAPL", "buy", "20000"))
    assert "max_order_quantity" in [r["code"] for r in refused.value.details["reasons"]]
    assert uc.pending_confirmations(service, "alice") == []


def test_declining_drops_the_newest_waiting_ticket(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    older = uc.stage_order(service, "alice", order("AAPL", "buy", "1"))
    clock.advance(seconds=10)
    newer = uc.stage_order(service, "alice", order("AAPL", "buy", "2"))
    assert uc.decline_order(service, "alice").id == newer.order_id
    assert [o.id for o in uc.pending_confirmations(service, "alice")] == [older.order_id]
    with pytest.raises(Conflict):
        uc.decline_order(service, "alice", newer.code)


def test_a_ticket_past_its_deadline_is_no_longer_listed_as_waiting(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    uc.stage_order(service, "alice", order("AAPL", "buy", "1"))
    assert len(uc.pending_confirmations(service, "alice")) == 1
    clock.advance(minutes=3)
    assert uc.pending_confirmations(service, "alice") == []
    with pytest.raises(NotFound):
        uc.decline_order(service, "alice")
