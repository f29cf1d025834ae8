"""Binance spot testnet answers in the exact shapes of Binance's REST API (api/v3), for CCXT's sync client
(which sends through requests, so the ``responses`` library serves them). Nothing reaches the network."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import responses

from core.orders import Order
from core.venues import Environment
from infra.brokers.exchange import ExchangeBroker

API = "https://testnet.binance.vision/api/v3"
MS = 1_795_791_600_000  # 2026-11-27 15:00 UTC (the tests' clock) in milliseconds

EXCHANGE_INFO = {
    "timezone": "UTC", "serverTime": MS,
    "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}],
    "exchangeFilters": [],
    "symbols": [{
        "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "baseAssetPrecision": 8,
        "quoteAsset": "USDT", "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                       "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True, "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True, "cancelReplaceAllowed": True, "amendAllowed": True, "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000",
             "tickSize": "0.01000000"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
            {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": True,
             "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5},
        ],
        "permissions": [], "permissionSets": [["SPOT"]], "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }],
}


def binance_order(order: Order, *, status: str = "NEW", executed: str = "0.00000000", quote_qty: str = "0.00000000",
                  type_: str = "MARKET", price: str = "0.00000000", stop: str | None = None,
                  fills: list[dict] | None = None, order_id: int = 4_242_001) -> dict:
    """GET/POST api/v3/order as Binance answers it (newOrderRespType FULL adds ``fills`` to a placement)."""
    body = {
        "symbol": "BTCUSDT", "orderId": order_id, "orderListId": -1, "clientOrderId": order.id,
        "price": price, "origQty": f"{order.quantity:.8f}", "executedQty": executed,
        "cummulativeQuoteQty": quote_qty, "status": status, "timeInForce": "GTC", "type": type_,
        "side": order.side.value.upper(), "time": MS, "updateTime": MS + 5, "isWorking": True,
        "workingTime": MS, "origQuoteOrderQty": "0.00000000", "selfTradePreventionMode": "EXPIRE_MAKER",
        "transactTime": MS,
    }
    if stop is not None:
        body["stopPrice"] = stop
    if fills is not None:
        body["fills"] = fills
    return body


def error(code: int, msg: str) -> str:
    return json.dumps({"code": code, "msg": msg})


def markets(mock: responses.RequestsMock) -> None:
    mock.get(f"{API}/exchangeInfo", json=EXCHANGE_INFO)


def sent(call: responses.Call) -> dict[str, str]:
    """The parameters of a signed request (Binance takes them in the query string or the form body)."""
    from urllib.parse import parse_qsl, urlsplit

    query = dict(parse_qsl(urlsplit(call.request.url).query))
    body = call.request.body
    if body:
        query.update(parse_qsl(body if isinstance(body, str) else body.decode()))
    return query


def exchange(clock, **options) -> ExchangeBroker:
    return ExchangeBroker("binance", api_key="test-key", secret="test-secret", environment=Environment.SANDBOX,
                          clock=clock, sleep=lambda _: None, **options)


def d(text: str) -> Decimal:
    return Decimal(text)


def at(clock) -> datetime:
    return clock()
