"""No store transaction stays open across a venue call, for a cancel or a change as for a placement (issue 17 item
4): the use case decides in one unit, calls the venue with none open, and books the venue's answer in another. A
second writer on the same SQLite store is not locked out while the venue is slow."""

from __future__ import annotations

import json
import threading
from decimal import Decimal as D

import pytest
import responses

from core import usecases as uc
from core.orders import OrderStatus
from tests.brokers.alpaca_support import TRADING, VENUE_ID, alpaca_order, by_client_id, error
from tests.brokers.test_venue_unconfirmed import _stub, build, limit_buy, listed

VENUE_ORDER = f"{TRADING}/orders/{VENUE_ID}"


@pytest.fixture
def platform(tmp_path, monkeypatch):
    import infra.stores.sqlite.base as sqlite

    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", 500)  # a unit left open would lock the writer out in 0.5 s
    return build(tmp_path, f"sqlite:///{tmp_path / 'parley.db'}")


def working(platform):
    """dave's limit buy, accepted by Alpaca."""
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", json=alpaca_order(_stub(limit_buy()), status="new"))
        order = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
    assert order.status is OrderStatus.ACCEPTED
    return order


class SecondWriter:
    """alice places a paper order on the same store while the venue keeps dave's call waiting."""

    def __init__(self, platform):
        self.platform, self.outcome = platform, {}

    def __call__(self) -> None:
        def write() -> None:
            try:
                self.outcome["order"] = uc.place_order(self.platform.deps, "alice", limit_buy(), idempotency_key="a1")
            except Exception as exc:  # what the defect looks like: "database is locked"
                self.outcome["error"] = exc

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=10)

    def succeeded(self) -> None:
        assert "error" not in self.outcome, self.outcome.get("error")
        assert self.outcome["order"].status is OrderStatus.ACCEPTED


def test_a_second_writer_during_a_slow_venue_cancel_is_not_locked_out_of_the_store(platform):
    order, writer = working(platform), SecondWriter(platform)
    answers = iter(["new", "canceled"])

    def slow_cancel(request):
        writer()
        return 204, {}, ""

    with responses.RequestsMock() as mock:
        mock.add_callback("GET", by_client_id(order),
                          callback=lambda r: (200, {}, json.dumps(alpaca_order(order, status=next(answers)))))
        mock.add_callback("DELETE", VENUE_ORDER, callback=slow_cancel)
        cancelled = uc.cancel_order(platform.deps, "dave", order.id)
    writer.succeeded()
    assert cancelled.status is OrderStatus.CANCELLED
    assert platform.deps.store.orders.get(order.id).status is OrderStatus.CANCELLED


def test_a_second_writer_during_a_slow_venue_change_is_not_locked_out_of_the_store(platform):
    order, writer = working(platform), SecondWriter(platform)

    def slow_replace(request):
        writer()
        return 200, {}, json.dumps(alpaca_order(order, status="new", limit_price="188"))

    with responses.RequestsMock() as mock:
        mock.get(by_client_id(order), json=alpaca_order(order, status="new"))
        mock.add_callback("PATCH", VENUE_ORDER, callback=slow_replace)
        changed = uc.modify_order(platform.deps, "dave", order.id, limit_price=D("188"))
    writer.succeeded()
    assert changed.limit_price == D("188")
    assert platform.deps.store.orders.get(order.id).limit_price == D("188")


def test_a_change_alpaca_refuses_leaves_the_order_as_it_was(platform):
    from core.errors import ParleyError

    order = working(platform)
    with responses.RequestsMock() as mock, pytest.raises(ParleyError):
        mock.get(by_client_id(order), json=alpaca_order(order, status="new"))
        mock.patch(VENUE_ORDER, status=422, body=error(42210000, "order is not replaceable"))
        uc.modify_order(platform.deps, "dave", order.id, limit_price=D("188"))
    assert platform.deps.store.orders.get(order.id).limit_price == D("189")
    assert platform.deps.store.orders.get(order.id).status is OrderStatus.ACCEPTED


# -- a close makes room by cancelling the venue's reducing orders ------------------------------------------------

SELL_ID = "11111111-8549-4bfd-b9c3-01e75843f47d"


def holding_with_a_resting_sell(platform):
    """dave holds 2 AAPL and rests a sell limit for them at Alpaca."""
    from core.orders import OrderRequest, OrderType, Side, TimeInForce
    from core.portfolio import Position

    deps = platform.deps
    with deps.store.unit() as uow:
        uow.positions.save(Position(account_id="dave", symbol="AAPL", quantity=D(2), average_price=D(180),
                                    updated_at=platform.clock()))
        uow.commit()
    sell = OrderRequest(symbol="AAPL", side=Side.SELL, quantity=D(2), order_type=OrderType.LIMIT,
                        limit_price=D("200"), time_in_force=TimeInForce.GTC)
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.add_callback("POST", f"{TRADING}/orders", callback=lambda r: (200, {}, json.dumps(alpaca_order(
            platform.deps.store.orders.get(json.loads(r.body)["client_order_id"]), status="new", venue_id=SELL_ID))))
        order = uc.place_order(deps, "dave", sell, idempotency_key="s1")
    assert order.status is OrderStatus.ACCEPTED
    return order


def lookup(request, resting, asked):
    """Alpaca's lookup by client order id: the resting sell (canceled once asked), or the close as sent."""
    from urllib.parse import parse_qs, urlparse

    [wanted] = parse_qs(urlparse(request.url).query)["client_order_id"]
    if wanted == resting.id:
        return 200, {}, json.dumps(alpaca_order(resting, status="canceled" if asked else "new", venue_id=SELL_ID))
    sent = resting.model_copy(update={"id": wanted})
    return 200, {}, json.dumps(alpaca_order(sent, status="new", venue_id="22222222-8549-4bfd-b9c3-01e75843f47d"))


def test_staging_a_close_in_the_chat_asks_the_venue_to_cancel_nothing(platform):
    from core.usecases.confirmations import stage_close

    resting = holding_with_a_resting_sell(platform)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:  # a DELETE would fail: none is served
        listed(mock)
        stage_close(platform.deps, "dave", "AAPL")
        assert [c.request.method for c in mock.calls if "/assets/" not in c.request.url] == []
    assert platform.deps.store.orders.get(resting.id).status is OrderStatus.ACCEPTED


def test_a_second_writer_during_a_slow_venue_cancel_made_for_a_close_is_not_locked_out(platform):
    resting, writer = holding_with_a_resting_sell(platform), SecondWriter(platform)
    asked = []

    def slow_cancel(request):
        asked.append(request)
        writer()
        return 204, {}, ""

    def close_order(request):
        sent = platform.deps.store.orders.get(json.loads(request.body)["client_order_id"])
        return 200, {}, json.dumps(alpaca_order(sent, status="new", venue_id="22222222-8549-4bfd-b9c3-01e75843f47d"))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        listed(mock)
        mock.add_callback("GET", f"{TRADING}/orders:by_client_order_id", callback=lambda r: lookup(r, resting, asked))
        mock.add_callback("DELETE", f"{TRADING}/orders/{SELL_ID}", callback=slow_cancel)
        mock.add_callback("POST", f"{TRADING}/orders", callback=close_order)
        closed = uc.close_position(platform.deps, uc.get_account(platform.deps, "dave"), "dave", "AAPL")
    writer.succeeded()
    assert closed.cancelled == [resting.id]
    assert platform.deps.store.orders.get(resting.id).status is OrderStatus.CANCELLED
    assert closed.order.status is OrderStatus.ACCEPTED and closed.order.quantity == D(2)


def test_a_cancel_alpaca_refuses_leaves_the_order_working_and_says_why(platform):
    from core.errors import ParleyError

    order = working(platform)
    with responses.RequestsMock() as mock, pytest.raises(ParleyError) as refused:
        mock.get(by_client_id(order), json=alpaca_order(order, status="new"))
        mock.delete(VENUE_ORDER, status=422, body=error(42210000, "order is not cancelable"))
        uc.cancel_order(platform.deps, "dave", order.id)
    assert refused.value.code == "venue_refused"
    assert "order is not cancelable" in str(refused.value)
    assert platform.deps.store.orders.get(order.id).status is OrderStatus.ACCEPTED


def test_a_cancel_alpaca_does_not_answer_is_not_a_cancel(platform):
    import requests

    from core.errors import ParleyError

    order = working(platform)
    with responses.RequestsMock() as mock, pytest.raises(ParleyError) as unanswered:
        mock.get(by_client_id(order), json=alpaca_order(order, status="new"))
        mock.delete(VENUE_ORDER, body=requests.ReadTimeout("read timed out"))
        uc.cancel_order(platform.deps, "dave", order.id)
    assert unanswered.value.code in {"venue_unreachable", "venue_rate_limited"}
    assert platform.deps.store.orders.get(order.id).status is OrderStatus.ACCEPTED


def test_cancelling_every_working_order_goes_on_past_one_the_venue_does_not_answer(platform):
    import requests

    venue_ids = {}

    def accept(request):
        sent = platform.deps.store.orders.get(json.loads(request.body)["client_order_id"])
        venue_ids[sent.id] = f"{len(venue_ids) + 1:08d}-8549-4bfd-b9c3-01e75843f47d"
        return 200, {}, json.dumps(alpaca_order(sent, status="new", venue_id=venue_ids[sent.id]))

    with responses.RequestsMock() as mock:
        listed(mock)
        mock.add_callback("POST", f"{TRADING}/orders", callback=accept)
        placed = [uc.place_order(platform.deps, "dave", limit_buy(limit_price=D(price)), idempotency_key=key)
                  for key, price in (("k1", "189"), ("k2", "188"))]
    silent, answering = placed
    cancelled_at_venue = []

    def status_of(order):
        return "canceled" if order.id in cancelled_at_venue else "new"

    def lookup(request):
        from urllib.parse import parse_qs, urlparse

        [order] = [o for o in placed if parse_qs(urlparse(request.url).query)["client_order_id"] == [o.id]]
        return 200, {}, json.dumps(alpaca_order(order, status=status_of(order), venue_id=venue_ids[order.id]))

    with responses.RequestsMock() as mock:
        mock.add_callback("GET", f"{TRADING}/orders:by_client_order_id", callback=lookup)
        mock.delete(f"{TRADING}/orders/{venue_ids[silent.id]}", body=requests.ReadTimeout("read timed out"))
        mock.add_callback("DELETE", f"{TRADING}/orders/{venue_ids[answering.id]}",
                          callback=lambda r: (cancelled_at_venue.append(answering.id), (204, {}, ""))[1])
        cancelled = uc.cancel_working(platform.deps, "dave", reason="trading halted")
    assert [o.id for o in cancelled] == [answering.id]
    assert platform.deps.store.orders.get(answering.id).status is OrderStatus.CANCELLED
    assert platform.deps.store.orders.get(silent.id).status is OrderStatus.ACCEPTED


def test_a_second_writer_during_a_slow_venue_cancel_made_for_a_chat_close_is_not_locked_out(platform):
    from core.usecases.confirmations import confirm, stage_close

    resting, writer = holding_with_a_resting_sell(platform), SecondWriter(platform)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        listed(mock)
        ticket = stage_close(platform.deps, "dave", "AAPL")
    asked = []

    def slow_cancel(request):
        asked.append(request)
        writer()
        return 204, {}, ""

    def close_order(request):
        sent = platform.deps.store.orders.get(json.loads(request.body)["client_order_id"])
        return 200, {}, json.dumps(alpaca_order(sent, status="new", venue_id="22222222-8549-4bfd-b9c3-01e75843f47d"))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        listed(mock)
        mock.add_callback("GET", f"{TRADING}/orders:by_client_order_id", callback=lambda r: lookup(r, resting, asked))
        mock.add_callback("DELETE", f"{TRADING}/orders/{SELL_ID}", callback=slow_cancel)
        mock.add_callback("POST", f"{TRADING}/orders", callback=close_order)
        done = confirm(platform.deps, "dave", ticket.code)
    writer.succeeded()
    assert done.cancelled == [resting.id]
    assert platform.deps.store.orders.get(resting.id).status is OrderStatus.CANCELLED
    assert done.order.status is OrderStatus.ACCEPTED and done.order.quantity == D(2)
