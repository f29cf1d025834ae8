"""An order that may have reached the venue is never rejected or dropped on Parley's side: when the venue's answer is
neither a clear yes nor a clear no (a lost answer, a 429), it is pending_new (``venue_unconfirmed``) until
reconciliation reads the venue's own answer; a 429 is first tried again after Retry-After within a budget. The
venue is called with no store transaction open."""

from __future__ import annotations

import json
import threading
from decimal import Decimal as D

import pytest
import requests
import responses

from core import usecases as uc
from core.accounts import Role
from core.market import Quote
from core.orders import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from core.usecases.reconcile import GRACE, reconcile
from infra.bootstrap import build_platform
from infra.brokers.alpaca import AlpacaBroker
from infra.brokers.venue import RATE_LIMIT_BUDGET
from infra.settings import Settings
from infra.stores import open_store
from tests.brokers.alpaca_support import TRADING, alpaca_order, asset, by_client_id, error
from tests.support import Clock

CREDENTIALS = {"alpaca:paper": {"api_key": "PKTEST", "secret": "secret"}}
RATE_LIMITED = error(42910000, "rate limit exceeded")
NOT_FOUND = error(40410000, "order not found")


def build(tmp_path, store_url: str = "memory://"):
    clock = Clock()
    settings = Settings(home=tmp_path, store_url=store_url, broker_accounts="dave=alpaca:paper",
                        broker_credentials=json.dumps(CREDENTIALS))
    built = build_platform(settings, store=open_store(store_url), clock=clock)
    for account in ("alice", "dave"):
        uc.create_account(built.deps, account)
    uc.create_account(built.deps, "ops", role=Role.ADMIN)
    uc.on_quote(built.deps, Quote(symbol="AAPL", bid=D("190"), ask=D("190.02"), time=clock()))
    built.clock, built.waits = clock, []
    built.deps.broker._brokers["dave"] = AlpacaBroker(api_key="PKTEST", secret_key="secret", clock=clock,
                                                      sleep=built.waits.append)
    return built


@pytest.fixture
def platform(tmp_path):
    return build(tmp_path)


def limit_buy(**fields) -> OrderRequest:
    fields = {"order_type": OrderType.LIMIT, "limit_price": D("189"), "time_in_force": TimeInForce.GTC} | fields
    return OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(2), **fields)


def listed(mock) -> None:
    mock.get(f"{TRADING}/assets/AAPL", json=asset("AAPL"))


def methods(mock) -> list[str]:
    return [c.request.method for c in mock.calls if "/assets/" not in c.request.url]


def test_a_timeout_then_a_429_on_every_lookup_leaves_the_order_pending_new_and_reconciliation_settles_it(platform):
    deps = platform.deps
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", body=requests.ReadTimeout("read timed out"))
        mock.get(f"{TRADING}/orders:by_client_order_id", status=429, body=RATE_LIMITED)
        order = uc.place_order(deps, "dave", limit_buy(), idempotency_key="k1")
        assert methods(mock) == ["POST", "GET", "GET"]  # never a second POST: the first may have landed
    assert (order.status, order.reason) == (OrderStatus.PENDING_NEW, "venue_unconfirmed")
    assert deps.store.orders.get(order.id).status is OrderStatus.PENDING_NEW
    assert order.id in {o.id for o in uc.list_orders(deps, "dave", open_only=True)}  # working, holds buying power
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(order), json=alpaca_order(order, status="filled", filled="2", average="188.5"))
        mock.get(f"{TRADING}/positions", json=[])
        report = reconcile(deps, deps.broker)
    settled = deps.store.orders.get(order.id)
    assert (report.fills_booked, settled.status, settled.filled_quantity, settled.reason) == (
        1, OrderStatus.FILLED, D(2), None)
    assert deps.store.positions.get("dave", "AAPL").quantity == D(2)


def test_a_timeout_then_a_429_with_retry_after_waits_that_long_and_finds_the_order(platform):
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", body=requests.ReadTimeout("read timed out"))
        mock.get(f"{TRADING}/orders:by_client_order_id", status=429, body=RATE_LIMITED,
                 headers={"Retry-After": "2"})
        mock.get(f"{TRADING}/orders:by_client_order_id", json=alpaca_order(_stub(limit_buy()), status="new"))
        order = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
        assert methods(mock) == ["POST", "GET", "GET"]
    assert (order.status, order.reason) == (OrderStatus.ACCEPTED, None)
    assert platform.waits[1] == 2.0  # the first wait is the timeout's backoff, the second Alpaca's Retry-After


def test_a_post_that_succeeded_then_a_429_on_the_settling_lookup_keeps_the_order_alpaca_holds(platform):
    deps = platform.deps
    market = OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(1))
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", body=json.dumps(alpaca_order(_stub(market), status="accepted")))
        mock.get(f"{TRADING}/orders:by_client_order_id", status=429, body=RATE_LIMITED, headers={"Retry-After": "1"})
        order = uc.place_order(deps, "dave", market, idempotency_key="k1")
        assert methods(mock).count("POST") == 1
    assert order.status is OrderStatus.ACCEPTED  # Alpaca said it has it; nothing was refused
    assert uc.get_order(deps, "dave", order.id).id == order.id
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(order), json=alpaca_order(order, status="filled", filled="1", average="190.01"))
        mock.get(f"{TRADING}/positions", json=[{"asset_id": "x", "symbol": "AAPL", "exchange": "NASDAQ",
                                                "asset_class": "us_equity", "qty": "1", "side": "long",
                                                "avg_entry_price": "190.01"}])
        report = reconcile(deps, deps.broker)
    assert (report.fills_booked, report.drifts_reported) == (1, 0)
    assert deps.store.orders.get(order.id).status is OrderStatus.FILLED


def test_a_429_on_placement_is_tried_again_after_its_retry_after_under_the_same_client_order_id(platform):
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", status=429, body=RATE_LIMITED, headers={"Retry-After": "1"})
        mock.get(f"{TRADING}/orders:by_client_order_id", status=404, body=NOT_FOUND)
        mock.post(f"{TRADING}/orders", body=json.dumps(alpaca_order(_stub(limit_buy()), status="new")))
        order = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
        posts = [c.request.body for c in mock.calls if c.request.method == "POST"]
        assert methods(mock) == ["POST", "GET", "POST"] and posts[0] == posts[1]
    assert order.status is OrderStatus.ACCEPTED
    assert platform.waits == [1.0]


def test_a_429_without_retry_after_waits_a_jittered_backoff(platform):
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", status=429, body=RATE_LIMITED)
        mock.get(f"{TRADING}/orders:by_client_order_id", status=404, body=NOT_FOUND)
        mock.post(f"{TRADING}/orders", body=json.dumps(alpaca_order(_stub(limit_buy()), status="new")))
        order = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
    assert order.status is OrderStatus.ACCEPTED
    [wait] = platform.waits
    assert 0.1 <= wait <= 0.3


def test_a_retry_after_past_the_budget_makes_the_order_pending_new_at_once_and_a_venue_without_it_rejects_it_later(
    platform,
):
    deps = platform.deps
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", status=429, body=RATE_LIMITED,
                  headers={"Retry-After": str(int(RATE_LIMIT_BUDGET) + 55)})
        order = uc.place_order(deps, "dave", limit_buy(), idempotency_key="k1")
        assert methods(mock) == ["POST"]
    assert (order.status, order.reason, platform.waits) == (OrderStatus.PENDING_NEW, "venue_unconfirmed", [])
    platform.clock.advance(seconds=GRACE.total_seconds() + 1)
    with responses.RequestsMock() as mock:
        mock.get(by_client_id(order), status=404, body=NOT_FOUND)
        mock.get(f"{TRADING}/positions", json=[])
        reconcile(deps, deps.broker)
    settled = deps.store.orders.get(order.id)
    assert settled.status is OrderStatus.REJECTED and "never reached the venue" in settled.reason


def test_a_408_is_no_answer_not_a_refusal(platform):
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", status=408, body='{"message": "request timeout"}')
        mock.get(f"{TRADING}/orders:by_client_order_id", status=404, body=NOT_FOUND)
        mock.post(f"{TRADING}/orders", body=json.dumps(alpaca_order(_stub(limit_buy()), status="new")))
        order = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
    assert order.status is OrderStatus.ACCEPTED


def test_a_definite_refusal_still_rejects_at_once(platform):
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", status=403, body=error(40310000, "insufficient buying power"))
        order = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
        assert methods(mock) == ["POST"]
    assert order.status is OrderStatus.REJECTED
    assert order.reason.startswith("not enough buying power at Alpaca")


def test_a_second_writer_during_a_slow_venue_is_not_locked_out_of_the_store(tmp_path, monkeypatch):
    import infra.stores.sqlite.base as sqlite

    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", 500)  # a unit left open would lock the writer out in 0.5 s
    platform = build(tmp_path, f"sqlite:///{tmp_path / 'parley.db'}")
    outcome: dict[str, object] = {}

    def second_writer() -> None:
        try:
            outcome["order"] = uc.place_order(platform.deps, "alice", limit_buy(), idempotency_key="a1")
        except Exception as exc:  # what the defect looked like: "database is locked"
            outcome["error"] = exc

    def slow_venue(request):
        writer = threading.Thread(target=second_writer)
        writer.start()
        writer.join(timeout=10)
        return 200, {}, json.dumps(alpaca_order(_stub(limit_buy()), status="new"))

    with responses.RequestsMock() as mock:
        listed(mock)
        mock.add_callback("POST", f"{TRADING}/orders", callback=slow_venue)
        placed = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
    assert "error" not in outcome, outcome.get("error")
    assert outcome["order"].status is OrderStatus.ACCEPTED
    assert placed.status is OrderStatus.ACCEPTED


def _stub(request: OrderRequest):
    """The order as Alpaca echoes it (dave's, under the key k1)."""
    from core.ids import derived_id
    from core.orders import Order

    return Order(**request.model_dump(exclude={"notional"}), id=derived_id("dave", "k1"), account_id="dave",
                 created_at=Clock()(), updated_at=Clock()())


# -- what the trader is told -------------------------------------------------------------------------------


def confirmed_in_chat(platform, text: str, post) -> str:
    from agent.conversation import Conversation

    chat = Conversation(platform.deps, env={})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        listed(mock)
        [ticket] = chat.converse("dave", "test", text)
        post(mock)
        [answer] = chat.converse("dave", "test", ticket.actions[0].command)
    return answer.text


def test_yes_to_an_order_alpaca_refused_says_rejected_by_alpaca_and_why(platform):
    answer = confirmed_in_chat(platform, "buy 2 AAPL limit 189 gtc", lambda mock: mock.post(
        f"{TRADING}/orders", status=403, body=error(40310000, "insufficient buying power")))
    assert answer.startswith("Rejected by Alpaca: not enough buying power at Alpaca (insufficient buying power)")


def test_yes_to_an_order_alpaca_has_not_confirmed_says_it_is_waiting_for_alpaca(platform):
    def lost(mock):
        mock.post(f"{TRADING}/orders", body=requests.ReadTimeout("read timed out"))
        mock.get(f"{TRADING}/orders:by_client_order_id", status=429, body=RATE_LIMITED)

    answer = confirmed_in_chat(platform, "buy 2 AAPL limit 189 gtc", lost)
    assert answer.endswith("BUY 2 AAPL limit 189.00: sent; waiting for Alpaca to confirm.")
    [order] = uc.list_orders(platform.deps, "dave")
    assert (order.status, order.reason) == (OrderStatus.PENDING_NEW, "venue_unconfirmed")
    from agent.conversation import Conversation

    [listing] = Conversation(platform.deps, env={}).converse("dave", "test", "orders")
    assert listing.text == f"Working orders:\n{order.id} BUY 2 AAPL limit 189.00: sent; waiting for Alpaca to confirm"


def test_the_api_shows_a_pending_new_order_with_its_reason_and_words_for_the_trader(platform):
    from functions.api.schemas import OrderOut

    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", status=429, body=RATE_LIMITED, headers={"Retry-After": "600"})
        order = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
    shown = OrderOut.of(order, platform.deps.broker.venue_for).model_dump(mode="json")
    assert (shown["status"], shown["reason"], shown["note"]) == (
        "pending_new", "venue_unconfirmed", "sent; waiting for Alpaca to confirm")


# -- reconciliation meets symbols it has not listed yet -------------------------------------------------------


def position_row(symbol: str, qty: str, asset_class: str = "us_equity") -> dict:
    return {"asset_id": "x", "symbol": symbol, "exchange": "NASDAQ", "asset_class": asset_class, "qty": qty,
            "side": "long", "avg_entry_price": "20"}


def test_a_cold_reconciliation_looks_up_symbols_it_meets_so_it_reports_rivn_and_not_pltr(platform):
    from core.notifications import NotificationKind
    from core.portfolio import Position

    deps = platform.deps
    with deps.store.unit() as uow:  # carl's PLTR 5 is in step on both sides
        uow.positions.save(Position(account_id="dave", symbol="PLTR", quantity=D(5), average_price=D(20),
                                    updated_at=platform.clock()))
        uow.commit()
    with responses.RequestsMock() as mock:  # the reconcile function's cold start: nothing listed in the process
        mock.get(f"{TRADING}/positions", json=[position_row("PLTR", "5"), position_row("RIVN", "12"),
                                               position_row("SOLUSD", "3", "crypto")])
        mock.get(f"{TRADING}/assets/PLTR", json=asset("PLTR"))
        mock.get(f"{TRADING}/assets/RIVN", json=asset("RIVN"))
        mock.get(f"{TRADING}/assets/SOL/USD", json=asset("SOL/USD", **{"class": "crypto"}))
        report = reconcile(deps, deps.broker)
    [told] = [n for n in deps.store.notifications.list_for_account("ops") if n.kind is NotificationKind.SYSTEM]
    assert report.drifts_reported == 1
    assert "RIVN Parley 0, alpaca 12" in told.text and "SOL-USD Parley 0, alpaca 3" in told.text
    assert "PLTR" not in told.text


def test_a_position_in_a_symbol_alpaca_no_longer_lists_is_reported_under_alpacas_name(platform):
    venue = platform.deps.broker.venue_broker("dave")
    with responses.RequestsMock() as mock:
        mock.get(f"{TRADING}/positions", json=[position_row("ZZZZ", "-3")])
        mock.get(f"{TRADING}/assets/ZZZZ", status=404, body=error(40410000, "asset not found"))
        assert venue.positions() == {"ZZZZ": D(-3)}


def test_a_lookup_refused_after_a_lost_answer_leaves_the_order_unconfirmed_not_rejected(platform):
    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", body=requests.ReadTimeout("read timed out"))
        mock.get(f"{TRADING}/orders:by_client_order_id", status=403, body='{"message": "forbidden."}')
        order = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
        assert methods(mock) == ["POST", "GET"]
    assert (order.status, order.reason) == (OrderStatus.PENDING_NEW, "venue_unconfirmed")


def test_a_reconciliation_that_settles_the_order_during_the_venue_call_is_not_overwritten_by_the_placement(platform):
    deps = platform.deps
    stub = _stub(limit_buy())

    def venue_answers_late(request):
        reconcile(deps, deps.broker)  # runs while the placement waits: it reads the venue later, its word stands
        return 200, {}, json.dumps(alpaca_order(stub, status="new"))

    with responses.RequestsMock() as mock:
        listed(mock)
        mock.add_callback("POST", f"{TRADING}/orders", callback=venue_answers_late)
        mock.get(by_client_id(stub), json=alpaca_order(stub, status="filled", filled="2", average="188.9"))
        mock.get(f"{TRADING}/positions", json=[position_row("AAPL", "2")])
        placed = uc.place_order(deps, "dave", limit_buy(), idempotency_key="k1")
    assert (placed.status, placed.filled_quantity) == (OrderStatus.FILLED, D(2))
    assert len(deps.store.fills.list_for_account("dave")) == 1


def test_retry_after_reads_seconds_or_an_http_date_and_ignores_anything_else():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from infra.brokers.venue import retry_after

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert retry_after("2") == 2.0
    assert 25 <= retry_after(later) <= 31
    assert [retry_after(v) for v in (None, "", "soon", "-5")] == [None, None, None, 0.0]


def test_an_order_waiting_for_the_venue_to_confirm_cannot_be_changed_yet(platform):
    from core.errors import Conflict

    with responses.RequestsMock() as mock:
        listed(mock)
        mock.post(f"{TRADING}/orders", status=429, body=RATE_LIMITED, headers={"Retry-After": "600"})
        order = uc.place_order(platform.deps, "dave", limit_buy(), idempotency_key="k1")
    with responses.RequestsMock(), pytest.raises(Conflict) as refused:  # nothing is sent
        uc.modify_order(platform.deps, "dave", order.id, limit_price=D("188"))
    assert refused.value.code == "order_unconfirmed"
    assert platform.deps.store.orders.get(order.id).limit_price == D("189")
