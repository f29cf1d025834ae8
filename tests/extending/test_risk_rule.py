"""docs/extending.md, "A risk rule", done once: a toy rule of the ``RequestRule`` shape (order and context in,
findings out) put in ``core.risk.rules.REQUEST_RULES`` refuses an order placed through the use case, with its
code and words among the reasons, and leaves the orders it does not judge alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import usecases as uc
from core.errors import RiskRejected
from core.orders import OrderRequest, OrderStatus
from core.risk import RiskContext, rules
from core.wording.formats import quantity
from tests.support import order, tick

ROUND_LOT = 10


def round_lots_only(request: OrderRequest, ctx: RiskContext) -> Iterator[rules.Found]:
    """Equities in round lots of ten only (a toy house rule)."""
    if request.quantity is not None and request.quantity % ROUND_LOT:
        message = f"Order quantity {quantity(request.quantity)} is not a multiple of {ROUND_LOT}."
        yield ("round_lot", message, str(ROUND_LOT), format(request.quantity, "f"))


@pytest.fixture
def with_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "REQUEST_RULES", (*rules.REQUEST_RULES, round_lots_only))


def test_an_order_the_plugged_rule_finds_wrong_is_refused_with_the_rules_code_and_words(service, clock,
                                                                                        with_rule) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    with pytest.raises(RiskRejected) as refused:
        uc.place_order(service, "alice", order("AAPL", "buy", "7"), idempotency_key="odd")
    [reason] = refused.value.details["reasons"]
    assert reason == {"code": "round_lot", "message": "Order quantity 7 is not a multiple of 10.", "limit": "10",
                      "value": "7"}
    assert service.store.fills.list_for_account("alice") == []


def test_an_order_the_plugged_rule_does_not_judge_passes(service, clock, with_rule) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    placed = uc.place_order(service, "alice", order("AAPL", "buy", "20"), idempotency_key="round")
    assert placed.status is OrderStatus.FILLED


def test_without_the_rule_plugged_the_same_order_passes(service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    placed = uc.place_order(service, "alice", order("AAPL", "buy", "7"), idempotency_key="odd")
    assert placed.status is OrderStatus.FILLED
