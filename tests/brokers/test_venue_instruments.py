"""Instruments and quotes per venue, through the use cases: an account on Alpaca or an exchange trades what its venue
lists, by the venue's rules (tick, lot, fractionable, shortable), and reads the venue's quote when the streams have
none fresh; a paper account keeps the shipped catalog. Every answer is recorded in the venue's exact shape."""

from __future__ import annotations

import copy
import decimal
import json
from decimal import Decimal as D

import pytest
import responses

from agent.conversation import Conversation
from agent.tools import TurnLedger, build_tools
from core import usecases as uc
from core.errors import InvalidRequest, RiskRejected, UnknownSymbol
from core.ids import derived_id
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from core.usecases.common.deps import catalog_for
from infra.bootstrap import build_platform
from infra.brokers.remote import RemoteBroker
from infra.settings import Settings
from infra.stores import open_store
from tests.brokers import alpaca_support as alpaca
from tests.brokers.binance_support import API, EXCHANGE_INFO, binance_order, sent
from tests.brokers.test_broker_function import FakeLambda
from tests.support import Clock

CREDENTIALS = {"alpaca:paper": {"api_key": "PKTEST", "secret": "secret"},
               "binance:sandbox": {"api_key": "test-key", "secret": "test-secret"}}
AMD_QUOTE = {"quotes": {"AMD": {"t": "2026-11-27T14:59:59.5Z", "ax": "V", "ap": 140.05, "as": 4, "bx": "V",
                                "bp": 140.0, "bs": 2, "c": ["R"], "z": "C"}}}
GME_QUOTE = {"quotes": {"GME": {"t": "2026-11-27T14:59:59.5Z", "ax": "V", "ap": 25.02, "as": 1, "bx": "V",
                                "bp": 25.0, "bs": 1, "c": ["R"], "z": "C"}}}
# GameStop as a broker that neither lends it nor sells it in fractions would list it.
GME = alpaca.asset("GME", exchange="NYSE", name="GameStop Corp. Class A", fractionable=False, shortable=False,
                   easy_to_borrow=False)


def latest(symbol: str) -> str:
    return f"{alpaca.DATA}/v2/stocks/quotes/latest?symbols={symbol}&feed=iex"


@pytest.fixture
def platform(tmp_path):
    clock = Clock()
    settings = Settings(home=tmp_path, store_url="memory://", broker_accounts="dave=alpaca:paper,bob=binance:sandbox",
                        broker_credentials=json.dumps(CREDENTIALS))
    built = build_platform(settings, store=open_store("memory://"), clock=clock)
    for account in ("alice", "bob", "dave"):
        uc.create_account(built.deps, account)
    built.clock = clock
    return built


def amd(quantity: str = "2", **fields) -> OrderRequest:
    return OrderRequest(symbol="AMD", side=Side.BUY, quantity=D(quantity), **fields)


# -- instruments -----------------------------------------------------------------------------------


def test_an_alpaca_account_orders_a_symbol_the_shipped_catalog_lacks(platform):
    deps = platform.deps
    with responses.RequestsMock() as mock:
        mock.get(f"{alpaca.TRADING}/assets/AMD", json=alpaca.asset("AMD", name="Advanced Micro Devices, Inc."))
        mock.get(latest("AMD"), json=AMD_QUOTE)
        echoed = alpaca.alpaca_order(stub(amd(), "dave"), status="filled", filled="2", average="140.05")
        mock.post(f"{alpaca.TRADING}/orders", json=echoed)
        order = uc.place_order(deps, "dave", amd(), idempotency_key="k1")
        sent_order = json.loads(mock.calls[-1].request.body)
    assert order.status is OrderStatus.FILLED and order.average_price == D("140.05")
    assert (sent_order["symbol"], sent_order["qty"], sent_order["client_order_id"]) == ("AMD", 2, order.id)
    assert deps.store.positions.get("dave", "AMD").quantity == D(2)
    assert [p.symbol for p in uc.positions(deps, "dave")] == ["AMD"]  # valued by the venue's listing, cached
    listed = catalog_for(deps, "dave").get("amd")
    assert (listed.tick_size, listed.lot_size, listed.fractionable, listed.shortable) == (D("0.01"), D(1), True,
                                                                                         True)


def test_a_non_fractionable_listing_refuses_a_fractional_quantity_and_a_fractionable_one_takes_it(platform):
    deps = platform.deps
    with responses.RequestsMock() as mock:  # nothing is sent for the refused one: no POST is recorded
        mock.get(f"{alpaca.TRADING}/assets/GME", json=GME)
        mock.get(f"{alpaca.TRADING}/assets/AMD", json=alpaca.asset("AMD"))
        mock.get(latest("AMD"), json=AMD_QUOTE)
        with pytest.raises(InvalidRequest) as refused:
            uc.place_order(deps, "dave", OrderRequest(symbol="GME", side=Side.BUY, quantity=D("0.5")))
        decision = uc.check_risk(deps, "dave", amd("0.5"))
    assert refused.value.code == "invalid_lot" and refused.value.details["lot_size"] == "1"
    assert decision.approved, decision.message
    assert deps.store.orders.list_for_account("dave") == []


def test_a_non_shortable_listing_refuses_a_short_sale_but_sells_what_is_held(platform):
    deps = platform.deps
    sell = OrderRequest(symbol="GME", side=Side.SELL, quantity=D(3), order_type=OrderType.LIMIT,
                        limit_price=D("25.10"), time_in_force=TimeInForce.GTC)
    with responses.RequestsMock() as mock:
        mock.get(f"{alpaca.TRADING}/assets/GME", json=GME)
        mock.get(latest("GME"), json=GME_QUOTE)
        with pytest.raises(RiskRejected) as refused:
            uc.place_order(deps, "dave", sell)
    [reason] = refused.value.details["reasons"]
    assert (reason["code"], reason["limit"]) == ("not_shortable", "0")
    assert "GME cannot be sold short at your venue" in reason["message"]
    [stored] = deps.store.orders.list_for_account("dave")
    assert stored.status is OrderStatus.REJECTED


def test_an_unknown_symbol_is_still_an_unknown_symbol(platform):
    with responses.RequestsMock() as mock:
        mock.get(f"{alpaca.TRADING}/assets/NOPEX", status=404, body=alpaca.error(40410000, "asset not found"))
        with pytest.raises(UnknownSymbol) as unknown:
            uc.place_order(platform.deps, "dave", OrderRequest(symbol="NOPEX", side=Side.BUY, quantity=D(1)))
        with pytest.raises(UnknownSymbol):  # the venue's "not listed" is kept too: no second lookup
            uc.check_risk(platform.deps, "dave", OrderRequest(symbol="NOPEX", side=Side.BUY, quantity=D(1)))
        assert len(mock.calls) == 1
    assert isinstance(unknown.value, InvalidRequest) and unknown.value.code == "unknown_symbol"  # a 422


def test_a_paper_account_still_sees_only_the_shipped_catalog(platform):
    deps = platform.deps
    assert catalog_for(deps, "alice") is deps.catalog
    with responses.RequestsMock():  # no venue is asked
        with pytest.raises(UnknownSymbol):
            uc.place_order(deps, "alice", amd())
        with pytest.raises(UnknownSymbol):
            uc.quote(deps, "AMD", "alice")


def test_an_exchange_account_trades_a_market_the_exchange_lists_by_its_tick_and_lot(platform):
    deps = platform.deps
    info = copy.deepcopy(EXCHANGE_INFO)
    sol = copy.deepcopy(info["symbols"][0])
    sol.update(symbol="SOLUSDT", baseAsset="SOL")
    sol["filters"][0]["tickSize"] = "0.01000000"
    sol["filters"][1].update(minQty="0.00100000", stepSize="0.00100000")
    info["symbols"].append(sol)
    ticker = {"symbol": "SOLUSDT", "bidPrice": "239.99", "bidQty": "10", "askPrice": "240.01", "askQty": "8",
              "lastPrice": "240.00", "closeTime": int(platform.clock().timestamp() * 1000)}
    buy = OrderRequest(symbol="SOL-USD", side=Side.BUY, quantity=D("1.5"), order_type=OrderType.LIMIT,
                       limit_price=D("239.50"), time_in_force=TimeInForce.GTC)
    with responses.RequestsMock() as mock:
        mock.get(f"{API}/exchangeInfo", json=info)
        mock.get(f"{API}/ticker/24hr", json=ticker)
        with pytest.raises(InvalidRequest) as off_lot:
            uc.place_order(deps, "bob", buy.model_copy(update={"quantity": D("1.5005")}))
        echoed = {**binance_order(stub(buy, "bob"), type_="LIMIT", price="239.50000000"), "symbol": "SOLUSDT"}
        mock.post(f"{API}/order", json=echoed)
        order = uc.place_order(deps, "bob", buy, idempotency_key="k1")
        placed = sent(mock.calls[-1])
    assert off_lot.value.code == "invalid_lot" and off_lot.value.details["lot_size"] == "0.001"
    assert order.status is OrderStatus.ACCEPTED
    assert (placed["symbol"], placed["quantity"], placed["price"]) == ("SOLUSDT", "1.5", "239.5")
    listed = catalog_for(deps, "bob").get("SOL-USD")
    assert (listed.tick_size, listed.shortable, listed.currency) == (D("0.01"), False, "USDT")
    assert decimal.getcontext().rounding == decimal.ROUND_HALF_EVEN  # CCXT's half-up rounding stayed inside it


def test_the_broker_function_answers_listings_and_its_callers_keep_them(platform):
    router = platform.deps.broker
    client = FakeLambda(router)
    remote = RemoteBroker("parley-broker", client=client, monotonic=lambda: 100.0)
    with responses.RequestsMock() as mock:
        mock.get(f"{alpaca.TRADING}/assets/GME", json=GME)
        mock.get(f"{alpaca.TRADING}/assets/NOPEX", status=404, body=alpaca.error(40410000, "asset not found"))
        listed = remote.listed("dave", "GME")
        assert remote.listed("dave", "GME") == listed  # kept: one invoke
        with pytest.raises(UnknownSymbol):
            remote.listed("dave", "NOPEX")
    assert (listed.symbol, listed.fractionable, listed.shortable) == ("GME", False, False)
    assert [call[1]["op"] for call in client.calls] == ["instrument", "instrument"]
    assert remote.listed("alice", "AAPL") is None  # a paper account: the shipped catalog answers


# -- quotes ----------------------------------------------------------------------------------------


def test_the_quote_use_case_asks_the_venue_when_the_streams_have_none_and_keeps_it_a_few_seconds(platform):
    deps = platform.deps
    with responses.RequestsMock() as mock:
        mock.get(f"{alpaca.TRADING}/assets/AMD", json=alpaca.asset("AMD"))
        mock.get(latest("AMD"), json=AMD_QUOTE)
        first = uc.quote(deps, "AMD", "dave")
        platform.clock.advance(seconds=3)
        again = uc.quote(deps, "AMD", "dave")
        assert len(mock.calls) == 2  # the listing and one quote
        platform.clock.advance(seconds=10)
        mock.get(latest("AMD"), json={"quotes": {"AMD": {**AMD_QUOTE["quotes"]["AMD"], "bp": 141.0, "ap": 141.05,
                                                         "t": "2026-11-27T15:00:12Z"}}})
        later = uc.quote(deps, "AMD", "dave")
    assert again is first and (first.bid, first.ask, first.source) == (D("140.0"), D("140.05"), "alpaca")
    assert later.bid == D("141.0")


def test_a_stale_stream_quote_gives_way_to_the_venues_and_stays_for_paper(platform):
    deps = platform.deps
    uc.on_quote(deps, Quote(symbol="NVDA", bid=D("180.00"), ask=D("180.02"), time=platform.clock()))
    platform.clock.advance(minutes=5)
    with responses.RequestsMock():
        assert uc.quote(deps, "NVDA", "alice").bid == D("180.00")  # paper: the stored quote, however old
    nvda = {"quotes": {"NVDA": {"t": "2026-11-27T15:04:59Z", "ap": 181.5, "as": 1, "bp": 181.45, "bs": 3}}}
    with responses.RequestsMock() as mock:
        mock.get(f"{alpaca.TRADING}/assets/NVDA", json=alpaca.asset("NVDA", name="NVIDIA Corporation Common Stock"))
        mock.get(latest("NVDA"), json=nvda)
        assert uc.quote(deps, "NVDA", "dave").bid == D("181.45")


def test_the_grammar_and_the_agents_quote_tool_read_the_venues_quote(platform):
    deps = platform.deps
    chat = Conversation(deps, env={})
    [get_quote] = [t for t in build_tools(deps, "dave", TurnLedger()) if t.name == "get_quote"]
    with responses.RequestsMock() as mock:
        mock.get(f"{alpaca.TRADING}/assets/AMD", json=alpaca.asset("AMD"))
        mock.get(latest("AMD"), json=AMD_QUOTE)
        [reply] = chat.converse("dave", "test", "quote AMD")
        answer = get_quote.invoke({"symbol": "AMD"})
    assert reply.text.startswith("AMD: bid 140.00 / ask 140.05")
    assert "140.05" in str(answer)


def stub(request: OrderRequest, account: str) -> Order:
    """The order ``place_order(..., idempotency_key="k1")`` stores, as the venue echoes it."""
    stamp = Clock()()
    return Order(**request.model_dump(exclude={"notional"}), id=derived_id(account, "k1"), account_id=account,
                 created_at=stamp, updated_at=stamp)


def test_an_exchange_that_counts_precision_in_decimal_places_gives_the_same_steps():
    import ccxt

    from infra.brokers.exchange import ExchangeBroker

    class Places:  # CCXT's client as far as listings go, on an exchange whose precisionMode is DECIMAL_PLACES
        precisionMode = ccxt.DECIMAL_PLACES
        markets = {"ADA/USD": {"symbol": "ADA/USD", "quote": "USD", "active": True, "spot": True,
                               "precision": {"price": 6, "amount": 1}, "limits": {"amount": {"min": 0.1}}}}

        def load_markets(self, reload: bool = False) -> dict:
            return self.markets

    venue = ExchangeBroker("kraken", api_key="k", secret="s", clock=Clock(), client=Places())
    listed = venue.instrument("ADA-USD")
    assert (listed.tick_size, listed.lot_size, listed.currency) == (D("0.000001"), D("0.1"), "USD")
    with pytest.raises(UnknownSymbol):
        venue.instrument("XRP-USD")
