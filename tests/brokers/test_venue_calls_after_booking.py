"""Booking a venue's fill asks the venue nothing inside the booking unit (issue 17 item 4): the unit records what the
venue must be asked (a bracket's exits held pending_new, a sibling or a trimmed rest marked to cancel) and commits;
the venue is then asked with no unit open, and each answer is booked in a unit of its own, keyed by the order id
(the venue's client order id), so an answer that arrives twice, or a reconciliation meanwhile, doubles nothing.

Each path runs on SQLite with the lock wait cut short: a venue call made inside a unit locks the second writer out."""

from __future__ import annotations

import json
from decimal import Decimal as D
from urllib.parse import parse_qs, urlparse

import requests
import responses

from core import usecases as uc
from core.envelope import Envelope
from core.events import TradeFill
from core.orders import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from core.portfolio import Position
from core.ports.venue import fill_id
from core.usecases.market import order_events as stream_events
from core.usecases.trading.reconcile import sync_order
from tests.brokers.alpaca_support import TRADING, VENUE_ID, alpaca_order, asset
from tests.brokers.test_venue_calls_outside_units import SecondWriter
from tests.brokers.test_venue_calls_outside_units import platform as platform  # the SQLite fixture, lock wait cut

LEG_TP = "c0000000-0000-4000-8000-0000000000a1"
LEG_SL = "c0000000-0000-4000-8000-0000000000a2"


class Alpaca:
    """Alpaca's side of dave's bracket: the entry (filled at once) and its two legs, served by ``responses``. A
    hook runs inside the call named ``slow`` the first time it is made (the venue keeps Parley waiting)."""

    def __init__(self, platform, mock, *, slow: str | None = None, hook=None, tp="new", sl="new",
                 silent: str | None = None, refuse: str | None = None, no_legs: bool = False) -> None:
        self.platform, self.slow, self.hook, self.silent = platform, slow, hook, silent
        self.refuse, self.no_legs = refuse, no_legs
        self.entry = None
        self.legs = {LEG_TP: tp, LEG_SL: sl}
        self.calls: list[str] = []
        mock.get(f"{TRADING}/assets/AAPL", json=asset("AAPL"))
        mock.add_callback("POST", f"{TRADING}/orders", callback=self.post)
        mock.add_callback("GET", f"{TRADING}/orders:by_client_order_id", callback=self.by_client_id)
        mock.add_callback("GET", f"{TRADING}/orders/{VENUE_ID}", callback=self.nested)
        for leg in self.legs:
            mock.add_callback("DELETE", f"{TRADING}/orders/{leg}", callback=lambda r, leg=leg: self.delete(leg))

    def _wait(self, call: str) -> None:
        self.calls.append(call)
        if call == self.silent:
            raise requests.ReadTimeout("read timed out")
        if call == self.slow and self.hook is not None:
            hook, self.hook = self.hook, None
            hook()

    def _entry(self, **fields) -> dict:
        return alpaca_order(self.entry, status="filled", filled="2", average="190", order_class="bracket", **fields)

    def post(self, request):
        self._wait("POST")
        self.entry = self.platform.deps.store.orders.get(json.loads(request.body)["client_order_id"])
        return 200, {}, json.dumps(self._entry())

    def by_client_id(self, request):
        self._wait("GET")
        [wanted] = parse_qs(urlparse(request.url).query)["client_order_id"]
        assert wanted == self.entry.id, "only the entry is looked up by client id: the exits are its legs"
        return 200, {}, json.dumps(self._entry())

    def nested(self, request):
        self._wait("GET nested")
        legs = [alpaca_order(self.entry, venue_id=leg, type=kind, status=self.legs[leg], side="sell",
                             filled="2" if self.legs[leg] == "filled" else "0",
                             average="200" if self.legs[leg] == "filled" else None)
                for leg, kind in ((LEG_TP, "limit"), (LEG_SL, "stop"))]
        if self.no_legs:
            legs = []
        return 200, {}, json.dumps(self._entry(legs=legs))

    def delete(self, leg: str):
        self._wait("DELETE")
        if self.refuse is not None:
            return 422, {}, json.dumps({"code": 42210000, "message": self.refuse})
        self.legs[leg] = "canceled"
        return 204, {}, ""


def bracket() -> OrderRequest:
    return OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(2), order_type=OrderType.BRACKET,
                        take_profit_price=D("200"), stop_loss_price=D("180"), time_in_force=TimeInForce.GTC)


def exits(platform, entry_id: str):
    return sorted((o for o in platform.deps.store.orders.list_for_account("dave") if o.parent_id == entry_id),
                  key=lambda o: o.order_type.value)  # limit (take-profit), stop (stop-loss)


def test_a_second_writer_during_a_slow_venue_lookup_of_a_brackets_exits_is_not_locked_out(platform):
    writer = SecondWriter(platform)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        alpaca = Alpaca(platform, mock, slow="GET nested", hook=writer)
        entry = uc.place_order(platform.deps, "dave", bracket(), idempotency_key="b1")
        assert "POST" not in alpaca.calls[1:]  # the exits are Alpaca's legs: nothing else is sent
    writer.succeeded()
    assert entry.status is OrderStatus.FILLED
    take_profit, stop_loss = exits(platform, entry.id)
    assert (take_profit.status, stop_loss.status) == (OrderStatus.ACCEPTED, OrderStatus.ACCEPTED)
    assert (take_profit.quantity, stop_loss.quantity) == (D(2), D(2))


def test_exits_the_venue_does_not_answer_for_stay_pending_new_and_reconciliation_settles_them(platform):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        Alpaca(platform, mock, silent="GET nested")
        entry = uc.place_order(platform.deps, "dave", bracket(), idempotency_key="b1")
    assert entry.status is OrderStatus.FILLED
    held = exits(platform, entry.id)
    assert [(o.status, o.reason) for o in held] == [(OrderStatus.PENDING_NEW, "venue_unconfirmed")] * 2
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        alpaca = Alpaca(platform, mock)
        alpaca.entry = platform.deps.store.orders.get(entry.id)
        for order in held:
            sync_order(platform.deps, platform.deps.broker.venue_broker("dave"), order.id)
    assert [o.status for o in exits(platform, entry.id)] == [OrderStatus.ACCEPTED] * 2


def test_a_reconciliation_while_the_exits_are_asked_for_books_each_once_and_is_not_asked_again(platform):
    venue = platform.deps.broker.venue_broker("dave")

    def reconciliation_meanwhile():
        for order in platform.deps.store.orders.list_for_account("dave", open_only=True):
            sync_order(platform.deps, venue, order.id)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        alpaca = Alpaca(platform, mock, slow="GET nested", hook=reconciliation_meanwhile)
        entry = uc.place_order(platform.deps, "dave", bracket(), idempotency_key="b1")
    assert alpaca.calls.count("GET nested") == 3  # the first exit asked for, then both by the reconciliation
    assert [o.status for o in exits(platform, entry.id)] == [OrderStatus.ACCEPTED] * 2
    assert len(platform.deps.store.orders.list_for_account("dave")) == 3


def test_a_siblings_cancel_the_venue_does_not_answer_leaves_it_working_until_reconciliation_cancels_it(platform):
    entry = filled_bracket(platform)
    take_profit, stop_loss = exits(platform, entry.id)
    venue = platform.deps.broker.venue_broker("dave")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        alpaca = Alpaca(platform, mock, tp="filled", silent="DELETE")
        alpaca.entry = platform.deps.store.orders.get(entry.id)
        sync_order(platform.deps, venue, take_profit.id)
    take_profit, stop_loss = exits(platform, entry.id)
    assert (take_profit.status, stop_loss.status) == (OrderStatus.FILLED, OrderStatus.ACCEPTED)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        alpaca = Alpaca(platform, mock, tp="filled")
        alpaca.entry = platform.deps.store.orders.get(entry.id)
        sync_order(platform.deps, venue, stop_loss.id)
        assert alpaca.calls.count("DELETE") == 1
    assert exits(platform, entry.id)[1].status is OrderStatus.CANCELLED


def test_exits_the_venue_definitely_refuses_are_rejected_and_the_trader_told(platform):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        Alpaca(platform, mock, no_legs=True)
        entry = uc.place_order(platform.deps, "dave", bracket(), idempotency_key="b1")
    refused = exits(platform, entry.id)
    assert [o.status for o in refused] == [OrderStatus.REJECTED] * 2
    told = {n.data.get("order_id"): n.text for n in platform.deps.store.notifications.list_for_account("dave")}
    assert all("rejected: Alpaca's bracket" in told[o.id] for o in refused)


def test_a_siblings_cancel_the_venue_refuses_leaves_it_working_and_tells_the_trader(platform):
    entry = filled_bracket(platform)
    take_profit, stop_loss = exits(platform, entry.id)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        alpaca = Alpaca(platform, mock, tp="filled", refuse="order is not cancelable")
        alpaca.entry = platform.deps.store.orders.get(entry.id)
        sync_order(platform.deps, platform.deps.broker.venue_broker("dave"), take_profit.id)
    stop_loss = platform.deps.store.orders.get(stop_loss.id)
    assert (stop_loss.status, stop_loss.reason) == (OrderStatus.ACCEPTED, None)  # working, not to be asked again
    [told] = [n for n in platform.deps.store.notifications.list_for_account("dave")
              if n.data.get("code") == "venue_cancel_refused"]
    assert told.data["order_id"] == stop_loss.id
    assert "Alpaca refused" in told.text and "order is not cancelable" in told.text


def filled_bracket(platform):
    """dave's bracket entry filled at Alpaca, its two exits working as Alpaca's legs."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        Alpaca(platform, mock)
        entry = uc.place_order(platform.deps, "dave", bracket(), idempotency_key="b1")
    assert [o.status for o in exits(platform, entry.id)] == [OrderStatus.ACCEPTED] * 2
    return entry


def test_a_second_writer_during_a_slow_venue_cancel_of_a_filled_exits_sibling_is_not_locked_out(platform):
    entry, writer = filled_bracket(platform), SecondWriter(platform)
    take_profit, stop_loss = exits(platform, entry.id)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        alpaca = Alpaca(platform, mock, slow="DELETE", hook=writer, tp="filled")
        alpaca.entry = platform.deps.store.orders.get(entry.id)
        sync_order(platform.deps, platform.deps.broker.venue_broker("dave"), take_profit.id)
        assert alpaca.calls.count("DELETE") == 1
    writer.succeeded()
    take_profit, stop_loss = exits(platform, entry.id)
    assert take_profit.status is OrderStatus.FILLED
    assert stop_loss.status is OrderStatus.CANCELLED
    assert stop_loss.reason == f"one-cancels-other: {take_profit.id} filled"
    assert platform.deps.store.positions.get("dave", "AAPL").quantity == 0


def test_a_reconciliation_meanwhile_and_a_repeated_answer_book_the_exits_sibling_cancel_once(platform):
    entry = filled_bracket(platform)
    take_profit, stop_loss = exits(platform, entry.id)
    venue = platform.deps.broker.venue_broker("dave")

    def reconciliation_meanwhile():
        for order in (take_profit, stop_loss):
            sync_order(platform.deps, venue, order.id)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        alpaca = Alpaca(platform, mock, slow="DELETE", hook=reconciliation_meanwhile, tp="filled")
        alpaca.entry = platform.deps.store.orders.get(entry.id)
        sync_order(platform.deps, venue, take_profit.id)
        sync_order(platform.deps, venue, take_profit.id)  # the same answer again
        sync_order(platform.deps, venue, stop_loss.id)
    take_profit, stop_loss = exits(platform, entry.id)
    assert (take_profit.status, stop_loss.status) == (OrderStatus.FILLED, OrderStatus.CANCELLED)
    fills = platform.deps.store.fills.list_for_account("dave")
    assert sorted(f.quantity for f in fills) == [D(2), D(2)]  # the entry's and the take-profit's, once each
    assert platform.deps.store.positions.get("dave", "AAPL").quantity == 0


# -- a fill the guard trims: the rest of the order is cancelled at the venue ----------------------------------------

SELL_ID = "11111111-8549-4bfd-b9c3-01e75843f47d"


def resting_sell(platform):
    """dave holds 4 AAPL (which Alpaca will not lend) and rests a sell limit for 4; Parley's position then drifts
    to 1, so the venue's fill of 2 cannot all be booked."""
    deps = platform.deps
    with deps.store.unit() as uow:
        uow.positions.save(Position(account_id="dave", symbol="AAPL", quantity=D(4), average_price=D(180),
                                    updated_at=platform.clock()))
        uow.commit()
    sell = OrderRequest(symbol="AAPL", side=Side.SELL, quantity=D(4), order_type=OrderType.LIMIT,
                        limit_price=D("200"), time_in_force=TimeInForce.GTC)
    with responses.RequestsMock() as mock:
        mock.get(f"{TRADING}/assets/AAPL", json=asset("AAPL", shortable=False))
        mock.add_callback("POST", f"{TRADING}/orders", callback=lambda r: (200, {}, json.dumps(alpaca_order(
            deps.store.orders.get(json.loads(r.body)["client_order_id"]), status="new", venue_id=SELL_ID))))
        order = uc.place_order(deps, "dave", sell, idempotency_key="s1")
    assert order.status is OrderStatus.ACCEPTED
    with deps.store.unit() as uow:
        position = uow.positions.get("dave", "AAPL")
        position.quantity = D(1)
        uow.positions.save(position)
        uow.commit()
    return order


def streamed_fill(platform, order) -> tuple[Envelope, TradeFill]:
    fill = TradeFill(order_id=order.id, fill_id=fill_id(order.id, D(2)), symbol="AAPL", side=Side.SELL,
                     quantity=D(2), price=D("200"))
    envelope = Envelope(type="trade.fill", id="alpaca-fill-1", source="alpaca", time=platform.clock(),
                        data=fill.model_dump(mode="json"))
    return envelope, fill


def test_a_second_writer_during_a_slow_venue_cancel_of_a_trimmed_fills_rest_is_not_locked_out(platform):
    order, writer = resting_sell(platform), SecondWriter(platform)
    cancelled = []

    def slow_cancel(request):
        writer()
        cancelled.append(request)
        return 204, {}, ""

    def lookup(request):
        status = "canceled" if cancelled else "partially_filled"
        return 200, {}, json.dumps(alpaca_order(order, status=status, filled="2", average="200", venue_id=SELL_ID))

    with responses.RequestsMock() as mock:
        mock.add_callback("GET", f"{TRADING}/orders:by_client_order_id", callback=lookup)
        mock.add_callback("DELETE", f"{TRADING}/orders/{SELL_ID}", callback=slow_cancel)
        stream_events.trade_fill(platform.deps, *streamed_fill(platform, order))
    writer.succeeded()
    booked = platform.deps.store.orders.get(order.id)
    assert (booked.status, booked.filled_quantity) == (OrderStatus.CANCELLED, D(1))
    assert booked.reason == "would_open_short"
    assert platform.deps.store.positions.get("dave", "AAPL").quantity == 0
    assert len(cancelled) == 1


def test_a_trimmed_fills_rest_the_venue_does_not_cancel_stays_working_until_reconciliation_cancels_it(platform):
    order = resting_sell(platform)
    report = alpaca_order(order, status="partially_filled", filled="2", average="200", venue_id=SELL_ID)
    with responses.RequestsMock() as mock:
        mock.get(f"{TRADING}/orders:by_client_order_id", json=report)
        mock.delete(f"{TRADING}/orders/{SELL_ID}", body=requests.ReadTimeout("read timed out"))
        stream_events.trade_fill(platform.deps, *streamed_fill(platform, order))
    assert platform.deps.store.orders.get(order.id).status is OrderStatus.PARTIALLY_FILLED  # as the venue has it
    cancelled = []
    with responses.RequestsMock() as mock:
        mock.add_callback("GET", f"{TRADING}/orders:by_client_order_id", callback=lambda r: (
            200, {}, json.dumps({**report, "status": "canceled" if cancelled else "partially_filled"})))
        mock.add_callback("DELETE", f"{TRADING}/orders/{SELL_ID}",
                          callback=lambda r: (cancelled.append(r), (204, {}, ""))[1])
        sync_order(platform.deps, platform.deps.broker.venue_broker("dave"), order.id)
    booked = platform.deps.store.orders.get(order.id)
    assert (booked.status, booked.filled_quantity) == (OrderStatus.CANCELLED, D(1))
    assert platform.deps.store.positions.get("dave", "AAPL").quantity == 0
    assert len(cancelled) == 1


def test_a_trimmed_fills_rest_the_venue_fills_before_the_cancel_ends_the_order_with_the_guards_reason(platform):
    order = resting_sell(platform)
    with responses.RequestsMock() as mock:  # no DELETE is served: the venue's order has ended
        mock.get(f"{TRADING}/orders:by_client_order_id",
                 json=alpaca_order(order, status="filled", filled="4", average="200", venue_id=SELL_ID))
        stream_events.trade_fill(platform.deps, *streamed_fill(platform, order))
    booked = platform.deps.store.orders.get(order.id)
    assert (booked.status, booked.filled_quantity, booked.reason) == (OrderStatus.CANCELLED, D(1), "would_open_short")
    assert platform.deps.store.positions.get("dave", "AAPL").quantity == 0
