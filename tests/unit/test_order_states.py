"""The order state machine and fills: legal and illegal transitions, final statuses, partial and full fills."""

from __future__ import annotations

import itertools

import pytest

from core.errors import IllegalTransition, InvalidRequest
from core.orders import FINAL_STATUSES, TRANSITIONS, OrderStatus
from tests.unit.order_support import T0, T1, D, order

# -- state machine --------------------------------------------------------------------------------

ALL_PAIRS = list(itertools.product(OrderStatus, OrderStatus))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def test_the_state_machine_is_the_one_of_the_design():
    assert set(TRANSITIONS) == set(OrderStatus)
    assert set(LEGAL) == {
        (OrderStatus.NEW, OrderStatus.PENDING_CONFIRMATION),
        (OrderStatus.NEW, OrderStatus.PENDING_NEW),
        (OrderStatus.NEW, OrderStatus.ACCEPTED),
        (OrderStatus.NEW, OrderStatus.REJECTED),
        (OrderStatus.NEW, OrderStatus.CANCELLED),
        (OrderStatus.PENDING_CONFIRMATION, OrderStatus.PENDING_NEW),
        (OrderStatus.PENDING_CONFIRMATION, OrderStatus.ACCEPTED),
        (OrderStatus.PENDING_CONFIRMATION, OrderStatus.REJECTED),
        (OrderStatus.PENDING_CONFIRMATION, OrderStatus.CANCELLED),
        (OrderStatus.PENDING_CONFIRMATION, OrderStatus.EXPIRED),
        (OrderStatus.PENDING_NEW, OrderStatus.ACCEPTED),
        (OrderStatus.PENDING_NEW, OrderStatus.PARTIALLY_FILLED),
        (OrderStatus.PENDING_NEW, OrderStatus.FILLED),
        (OrderStatus.PENDING_NEW, OrderStatus.CANCELLED),
        (OrderStatus.PENDING_NEW, OrderStatus.EXPIRED),
        (OrderStatus.PENDING_NEW, OrderStatus.REJECTED),
        (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED),
        (OrderStatus.ACCEPTED, OrderStatus.FILLED),
        (OrderStatus.ACCEPTED, OrderStatus.CANCELLED),
        (OrderStatus.ACCEPTED, OrderStatus.EXPIRED),
        (OrderStatus.ACCEPTED, OrderStatus.REJECTED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.PARTIALLY_FILLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.EXPIRED),
    }


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_every_legal_transition_moves_the_order_and_stamps_the_time(current, target):
    kept = order(current)
    kept.transition(target, T1, reason="because")
    assert kept.status is target
    assert kept.updated_at == T1
    assert kept.reason == "because"


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_every_illegal_transition_raises_and_leaves_the_order_as_it_was(current, target):
    kept = order(current)
    with pytest.raises(IllegalTransition) as caught:
        kept.transition(target, T1, reason="because")
    assert caught.value.code == "illegal_transition"
    assert caught.value.details == {"order_id": "ORD1", "current": current.value, "target": target.value}
    assert (kept.status, kept.updated_at, kept.reason) == (current, T0, None)


@pytest.mark.parametrize("final", sorted(FINAL_STATUSES))
def test_a_final_status_has_no_way_out(final):
    assert final.is_final
    assert not final.is_open
    assert TRANSITIONS[final] == frozenset()
    for target in OrderStatus:
        with pytest.raises(IllegalTransition):
            order(final).transition(target, T1)


def test_only_pending_new_accepted_and_partially_filled_orders_are_open():
    assert {s for s in OrderStatus if s.is_open} == {
        OrderStatus.PENDING_NEW, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED}
    assert {s for s in OrderStatus if s.is_final} == {
        OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED,
    }


def test_a_transition_without_a_reason_keeps_the_earlier_reason():
    kept = order(OrderStatus.NEW)
    kept.transition(OrderStatus.ACCEPTED, T0, reason="risk passed")
    kept.transition(OrderStatus.CANCELLED, T1)
    assert kept.reason == "risk passed"


# -- fills ----------------------------------------------------------------------------------------


def test_fills_average_the_price_and_move_partially_filled_then_filled():
    kept = order(OrderStatus.ACCEPTED, quantity="10")
    kept.record_fill(D(4), D("100.00"), T1)
    assert kept.status is OrderStatus.PARTIALLY_FILLED
    assert (kept.filled_quantity, kept.remaining_quantity, kept.average_price) == (D(4), D(6), D("100.00"))
    assert kept.updated_at == T1
    kept.record_fill(D(3), D("101.00"), T1)
    assert kept.status is OrderStatus.PARTIALLY_FILLED
    kept.record_fill(D(3), D("102.00"), T1)
    assert kept.status is OrderStatus.FILLED
    assert kept.filled_quantity == D(10)
    assert kept.remaining_quantity == 0
    assert kept.average_price == D("100.90")  # (400 + 303 + 306) / 10


def test_a_single_fill_of_the_whole_quantity_fills_an_accepted_order():
    kept = order(OrderStatus.ACCEPTED, quantity="2")
    kept.record_fill(D(2), D("70.25"), T1)
    assert kept.status is OrderStatus.FILLED
    assert kept.average_price == D("70.25")


@pytest.mark.parametrize("quantity", ["7", "0", "-1"])
def test_a_fill_that_does_not_fit_the_remaining_quantity_is_refused_and_changes_nothing(quantity):
    kept = order(OrderStatus.ACCEPTED, quantity="10")
    kept.record_fill(D(4), D("100.00"), T0)
    with pytest.raises(InvalidRequest, match="6 remaining"):
        kept.record_fill(D(quantity), D("100.00"), T1)
    assert (kept.status, kept.filled_quantity, kept.average_price) == (
        OrderStatus.PARTIALLY_FILLED, D(4), D("100.00"),
    )


def test_a_filled_order_takes_no_more_fills():
    kept = order(OrderStatus.ACCEPTED, quantity="1")
    kept.record_fill(D(1), D("100.00"), T0)
    with pytest.raises(InvalidRequest):
        kept.record_fill(D(1), D("100.00"), T1)
    assert kept.filled_quantity == D(1)


@pytest.mark.parametrize("status", [OrderStatus.NEW, OrderStatus.CANCELLED])
def test_a_fill_the_state_machine_refuses_leaves_the_order_untouched(status):
    kept = order(status, quantity="10")
    with pytest.raises(IllegalTransition):
        kept.record_fill(D(4), D("100.00"), T1)
    assert kept.status is status
    assert kept.filled_quantity == 0
    assert kept.average_price is None
    assert kept.updated_at == T0
