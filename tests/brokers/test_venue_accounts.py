"""Accounts on real venues, end to end through the use cases: configuration picks the venue (paper by default),
live venues need both keys, and reconciliation books what the venue did once, however often it runs."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
import responses

from core import usecases as uc
from core.accounts import Role
from core.market import Quote
from core.notifications import NotificationKind
from core.orders import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from core.ports.venue import fill_id
from core.usecases.trading.reconcile import reconcile
from core.venues import Environment, LiveTradingDisabled, Venue
from infra.bootstrap import build_platform
from infra.brokers.paper import PaperBroker
from infra.brokers.router import BrokerRouter
from infra.settings import Settings
from infra.stores import open_store
from tests.brokers import alpaca_support as alpaca
from tests.brokers.binance_support import API, MS, binance_order, markets, sent
from tests.support import Clock

CREDENTIALS = {"binance:sandbox": {"api_key": "test-key", "secret": "test-secret"},
               "carol": {"api_key": "PKLIVE", "secret": "live-secret"},
               "alpaca:paper": {"api_key": "PKTEST", "secret": "secret"}}


@pytest.fixture
def platform(tmp_path):
    clock = Clock()
    settings = Settings(home=tmp_path, store_url="memory://", broker_accounts="bob=binance:sandbox,carol=alpaca:live",
                        broker_credentials=json.dumps(CREDENTIALS))
    built = build_platform(settings, store=open_store("memory://"), clock=clock)
    for account in ("alice", "bob", "carol"):
        uc.create_account(built.deps, account)
    uc.create_account(built.deps, "ops", role=Role.ADMIN)
    uc.on_quote(built.deps, Quote(symbol="BTC-USD", bid=D("94990"), ask=D("95010"), time=clock()))
    built.clock = clock
    return built


def buy(quantity: str = "0.01", **fields) -> OrderRequest:
    return OrderRequest(symbol="BTC-USD", side=Side.BUY, quantity=D(quantity), **fields)


def test_an_account_not_configured_trades_on_paper_and_a_configured_one_on_its_venue(platform):
    router = platform.deps.broker
    assert isinstance(router, BrokerRouter) and isinstance(router.paper, PaperBroker)
    assert [router.venue_for(a).label for a in ("alice", "bob", "carol")] == [
        "PAPER", "PAPER at binance sandbox", "LIVE at alpaca"]
    with responses.RequestsMock():  # alice's order never leaves Parley
        filled = uc.place_order(platform.deps, "alice", buy())
    assert filled.status is OrderStatus.FILLED


def test_quotes_never_work_a_venues_orders(platform):
    with responses.RequestsMock() as mock:
        markets(mock)
        placed = buy(order_type=OrderType.LIMIT, limit_price=D("95000"), time_in_force=TimeInForce.GTC)
        mock.post(f"{API}/order", json=binance_order(platform_order_stub(placed), type_="LIMIT"))
        order = uc.place_order(platform.deps, "bob", placed, idempotency_key="k1")
    assert order.status is OrderStatus.ACCEPTED
    platform.clock.advance(seconds=1)
    with responses.RequestsMock():
        uc.on_quote(platform.deps, Quote(symbol="BTC-USD", bid=D("94000"), ask=D("94001"), time=platform.clock()))
    assert platform.store.orders.get(order.id).status is OrderStatus.ACCEPTED  # a paper order would have filled


def platform_order_stub(request: OrderRequest):
    """The placed order as Binance echoes it: only id, side and quantity matter to the answer."""
    from core.ids import derived_id
    from core.orders import Order

    return Order(**request.model_dump(exclude={"notional"}), id=derived_id("bob", "k1"), account_id="bob",
                 created_at=Clock()(), updated_at=Clock()())


def test_reconciliation_books_partial_fills_once_and_tells_the_trader_once(platform):
    deps = platform.deps
    placed = buy(order_type=OrderType.LIMIT, limit_price=D("95000"), time_in_force=TimeInForce.GTC)
    stub = platform_order_stub(placed)
    account = {"balances": [{"asset": "BTC", "free": "0.01000000", "locked": "0.00000000"}], "updateTime": MS,
               "accountType": "SPOT", "canTrade": True, "permissions": ["SPOT"]}
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", json=binance_order(stub, type_="LIMIT"))
        order = uc.place_order(deps, "bob", placed, idempotency_key="k1")
    partial = binance_order(stub, type_="LIMIT", status="PARTIALLY_FILLED", executed="0.00400000",
                            quote_qty="379.96000000")
    for _ in range(2):  # the second run reads the same report: nothing new
        with responses.RequestsMock() as mock:
            mock.get(f"{API}/order", json=partial)
            mock.get(f"{API}/account", json={**account, "balances": [{"asset": "BTC", "free": "0.004",
                                                                       "locked": "0"}]})
            reconcile(deps, deps.broker)
            assert sent(mock.calls[0])["origClientOrderId"] == order.id
    done = binance_order(stub, type_="LIMIT", status="FILLED", executed="0.01000000", quote_qty="949.96000000")
    with responses.RequestsMock() as mock:
        mock.get(f"{API}/order", json=done)
        mock.get(f"{API}/account", json=account)
        report = reconcile(deps, deps.broker)
    assert (report.fills_booked, report.drifts_reported) == (1, 0)
    stored = deps.store.orders.get(order.id)
    assert (stored.status, stored.filled_quantity, stored.average_price) == (OrderStatus.FILLED, D("0.01"),
                                                                              D("94996"))
    fills = deps.store.fills.list_for_account("bob")
    assert {(f.id, f.quantity, f.price) for f in fills} == {
        (fill_id(order.id, D("0.004")), D("0.004"), D("94990")), (fill_id(order.id, D("0.01")), D("0.006"), D(95000))}
    told = [n for n in deps.store.notifications.list_for_account("bob") if n.kind is NotificationKind.FILL]
    assert len(told) == 2
    assert deps.store.positions.get("bob", "BTC-USD").quantity == D("0.01")


def test_a_drift_between_parley_and_the_venue_is_told_to_the_admins_once(platform):
    deps = platform.deps
    account = {"balances": [{"asset": "BTC", "free": "1.00000000", "locked": "0.00000000"}], "updateTime": MS,
               "accountType": "SPOT", "canTrade": True, "permissions": ["SPOT"]}
    for run in range(2):
        with responses.RequestsMock() as mock:
            if run == 0:
                markets(mock)  # loaded once, then cached
            mock.get(f"{API}/account", json=account)
            report = reconcile(deps, deps.broker)
    told = [n for n in deps.store.notifications.list_for_account("ops") if n.kind is NotificationKind.SYSTEM]
    assert report.drifts_reported == 0 and len(told) == 1
    assert "BTC-USD Parley 0, binance 1" in told[0].text


def test_an_order_the_venue_never_got_is_rejected_after_a_grace_period(platform):
    deps = platform.deps
    placed = buy(order_type=OrderType.LIMIT, limit_price=D("95000"), time_in_force=TimeInForce.GTC)
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.post(f"{API}/order", status=503, body="Service Unavailable")
        mock.get(f"{API}/order", status=400, body=json.dumps({"code": -2013, "msg": "Order does not exist."}))
        order = uc.place_order(deps, "bob", placed, idempotency_key="k1")
    assert (order.status, order.reason) == (OrderStatus.PENDING_NEW, "venue_unconfirmed")
    for minutes, expected in ((1, OrderStatus.PENDING_NEW), (2, OrderStatus.REJECTED)):
        platform.clock.advance(minutes=minutes)
        with responses.RequestsMock() as mock:
            mock.get(f"{API}/order", status=400, body=json.dumps({"code": -2013, "msg": "Order does not exist."}))
            mock.get(f"{API}/account", json={"balances": [], "accountType": "SPOT", "updateTime": MS})
            reconcile(deps, deps.broker)
        assert deps.store.orders.get(order.id).status is expected


def test_a_live_venue_needs_the_platform_switch_and_the_accounts_admin_flag(platform, tmp_path):
    with responses.RequestsMock():  # nothing is sent
        rejected = uc.place_order(platform.deps, "carol", buy())
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reason.startswith("live trading is switched off on this platform")
    router = platform.deps.broker
    router.live_trading = True
    assert router.refusal("carol").startswith("live trading is not enabled for this account by an admin")
    with pytest.raises(LiveTradingDisabled):
        router.modify(rejected, None, platform.clock())
    account = platform.store.accounts.get("carol")
    account.live_trading = True
    platform.store.accounts.update(account)
    assert router.refusal("carol") is None
    assert router.refusal("bob") is None  # a sandbox is never live


def test_a_cancel_that_loses_to_a_fill_leaves_the_order_filled_and_the_position_booked(platform):
    deps = platform.deps
    router = deps.broker
    router.venues["dave"] = router.venues["carol"].model_copy(update={"environment": Environment.PAPER})
    uc.create_account(deps, "dave")
    placed = OrderRequest(symbol="BTC-USD", side=Side.BUY, quantity=D("0.01"), order_type=OrderType.LIMIT,
                          limit_price=D("95000"), time_in_force=TimeInForce.GTC)
    with responses.RequestsMock() as mock:
        mock.get(f"{alpaca.TRADING}/assets/BTC/USD", json=alpaca.CRYPTO_ASSET)
        mock.post(f"{alpaca.TRADING}/orders", json={**alpaca.alpaca_order(platform_order_stub(placed)),
                                                     "client_order_id": "ignored"})
        order = uc.place_order(deps, "dave", placed)
    with responses.RequestsMock() as mock:
        mock.get(alpaca.by_client_id(order), json=alpaca.alpaca_order(order, status="new"))
        mock.delete(f"{alpaca.TRADING}/orders/{alpaca.VENUE_ID}", status=422,
                    body=alpaca.error(42210000, "order is not cancelable"))
        mock.get(alpaca.by_client_id(order), json=alpaca.alpaca_order(order, status="filled", filled="0.01",
                                                                      average="94999.5"))
        after = uc.cancel_order(deps, "dave", order.id)
    assert (after.status, after.filled_quantity) == (OrderStatus.FILLED, D("0.01"))
    assert deps.store.positions.get("dave", "BTC-USD").quantity == D("0.01")


def test_every_ticket_says_live_or_paper_and_where(platform):
    from agent.replies import ticket_summary

    live = uc.stage_order(platform.deps, "carol", buy())
    with responses.RequestsMock() as mock:
        markets(mock)  # bob's venue lists BTC-USD
        sandbox = uc.stage_order(platform.deps, "bob", buy())
    paper = uc.stage_order(platform.deps, "alice", buy())
    assert [t.venue for t in (live, sandbox, paper)] == ["LIVE at alpaca", "PAPER at binance sandbox", "PAPER"]
    assert ticket_summary(live).endswith("risk OK, LIVE at alpaca")


def test_only_an_admin_turns_an_accounts_live_flag_and_it_is_audited(platform):
    from core.errors import Forbidden
    from core.usecases.admin.venues import set_live_trading

    with pytest.raises(Forbidden):
        set_live_trading(platform.deps, "bob", "carol", True)
    assert set_live_trading(platform.deps, "ops", "carol", True).live_trading
    platform.deps.broker.live_trading = True
    assert platform.deps.broker.refusal("carol") is None
    [record] = [r for r in platform.store.audit.list_for_account("carol") if "live_trading" in r.data]
    assert (record.actor, record.data) == ("ops", {"live_trading": True, "venue": "alpaca:live"})


def test_the_gate_asks_the_venue_for_a_quote_when_the_streams_have_none_fresh(platform):
    platform.clock.advance(minutes=5)  # the stream's BTC-USD quote is stale now
    with responses.RequestsMock():
        assert uc.check_risk(platform.deps, "alice", buy()).reasons[0].code == "no_fresh_quote"
    ticker = {"symbol": "BTCUSDT", "bidPrice": "95100.00", "bidQty": "1", "askPrice": "95101.00", "askQty": "1",
              "lastPrice": "95100.50", "closeTime": int(platform.clock().timestamp() * 1000)}
    with responses.RequestsMock() as mock:
        markets(mock)
        mock.get(f"{API}/ticker/24hr", json=ticker)
        decision = uc.check_risk(platform.deps, "bob", buy())
    assert decision.approved, decision.message


def test_a_venues_day_order_is_left_for_the_venue_to_expire(platform):
    deps = platform.deps
    placed = buy(order_type=OrderType.LIMIT, limit_price=D("95000"))
    router = deps.broker
    router.venues["dave"] = Venue(name="alpaca", environment=Environment.PAPER)
    uc.create_account(deps, "dave")
    with responses.RequestsMock() as mock:
        mock.get(f"{alpaca.TRADING}/assets/AAPL", json=alpaca.asset("AAPL"))
        mock.post(f"{alpaca.TRADING}/orders", json=alpaca.alpaca_order(platform_order_stub(placed), status="new"))
        equity = OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(1), order_type=OrderType.LIMIT,
                              limit_price=D("150"))
        uc.on_quote(deps, Quote(symbol="AAPL", bid=D("190"), ask=D("190.02"), time=platform.clock()))
        order = uc.place_order(deps, "dave", equity)
    platform.clock.advance(days=1)
    with responses.RequestsMock():
        assert uc.expire_day_orders(deps) == []
    assert deps.store.orders.get(order.id).status is OrderStatus.ACCEPTED


def test_with_live_trading_off_a_live_accounts_keys_never_reach_the_venues_market_data(platform):
    platform.clock.advance(minutes=5)  # the stream's BTC-USD quote is stale: the gate would ask the venue
    latest = {"quotes": {"BTC/USD": {"ap": 95021.1, "as": 0.5, "bp": 95019.9, "bs": 0.25,
                                     "t": "2026-11-27T15:04:59Z"}}}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{alpaca.DATA}/v1beta3/crypto/us/latest/quotes?symbols=BTC/USD", json=latest)
        assert platform.deps.broker.fresh_quote("carol", "BTC-USD") is None
        assert uc.check_risk(platform.deps, "carol", buy()).reasons[0].code == "no_fresh_quote"
        assert len(mock.calls) == 0  # nothing was sent with carol's live keys


def test_a_cold_reconciliation_reports_a_balance_in_a_pair_binance_lists_beyond_the_shipped_catalog(platform):
    from tests.brokers.binance_support import EXCHANGE_INFO

    sol = {**EXCHANGE_INFO["symbols"][0], "symbol": "SOLUSDT", "baseAsset": "SOL"}
    info = {**EXCHANGE_INFO, "symbols": [*EXCHANGE_INFO["symbols"], sol]}
    account = {"balances": [{"asset": "SOL", "free": "3.00000000", "locked": "0.00000000"},
                            {"asset": "USDT", "free": "1000.00000000", "locked": "0.00000000"}],
               "updateTime": MS, "accountType": "SPOT", "canTrade": True, "permissions": ["SPOT"]}
    with responses.RequestsMock() as mock:  # nothing asked of SOL-USD in this process before
        mock.get(f"{API}/exchangeInfo", json=info)
        mock.get(f"{API}/account", json=account)
        reconcile(platform.deps, platform.deps.broker)
    told = [n for n in platform.deps.store.notifications.list_for_account("ops") if n.kind is NotificationKind.SYSTEM]
    assert [n.text.count("SOL-USD Parley 0, binance 3") for n in told] == [1]
    assert "USDT" not in told[0].text
