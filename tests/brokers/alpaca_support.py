"""Alpaca answers in the exact shapes of its Trading API (v2) and Market Data API, served by ``responses`` to
alpaca-py (which sends through requests). Nothing reaches the network."""

from __future__ import annotations

import json
from typing import Any

from core.orders import Order
from core.venues import Environment
from infra.brokers.alpaca import AlpacaBroker

TRADING = "https://paper-api.alpaca.markets/v2"
DATA = "https://data.alpaca.markets"
VENUE_ID = "61e69015-8549-4bfd-b9c3-01e75843f47d"
STAMP = "2026-11-27T15:00:00.123456Z"


def alpaca_order(order: Order, *, status: str = "accepted", filled: str = "0", average: str | None = None,
                 venue_id: str = VENUE_ID, **fields: Any) -> dict:
    """An order as GET/POST /v2/orders answers it."""
    body = {
        "id": venue_id, "client_order_id": order.id, "created_at": STAMP, "updated_at": STAMP,
        "submitted_at": STAMP, "filled_at": STAMP if status == "filled" else None, "expired_at": None,
        "canceled_at": STAMP if status == "canceled" else None, "failed_at": None, "replaced_at": None,
        "replaced_by": None, "replaces": None, "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
        "symbol": order.symbol.replace("-", "/"), "asset_class": "crypto" if "-" in order.symbol else "us_equity",
        "notional": None, "qty": format(order.quantity, "f"), "filled_qty": filled, "filled_avg_price": average,
        "order_class": "", "order_type": "market", "type": "market", "side": order.side.value,
        "time_in_force": order.time_in_force.value, "limit_price": None, "stop_price": None, "status": status,
        "extended_hours": False, "legs": None, "trail_percent": None, "trail_price": None, "hwm": None,
        "position_intent": "buy_to_open" if order.side.value == "buy" else "sell_to_close",
    }
    body.update(fields)
    return body


def asset(symbol: str, **fields: Any) -> dict:
    """A US equity as GET /v2/assets/{symbol} answers it (override ``class``, the flags and increments)."""
    body = {
        "id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "class": "us_equity", "exchange": "NASDAQ", "symbol": symbol,
        "name": f"{symbol} Inc. Common Stock", "status": "active", "tradable": True, "marginable": True,
        "maintenance_margin_requirement": 30, "margin_requirement_long": "30", "margin_requirement_short": "100",
        "shortable": True, "easy_to_borrow": True, "fractionable": True,
        "attributes": ["fractional_eh_enabled", "has_options"],
    }
    body.update(fields)
    return body


CRYPTO_ASSET = {
    "id": "276e2673-764b-4ab6-a611-caf665ca6340", "class": "crypto", "exchange": "CRYPTO", "symbol": "BTC/USD",
    "name": "Bitcoin  / US Dollar", "status": "active", "tradable": True, "marginable": False,
    "maintenance_margin_requirement": 100, "margin_requirement_long": "100", "margin_requirement_short": "100",
    "shortable": False, "easy_to_borrow": False, "fractionable": True, "attributes": [], "min_order_size": "0.0001",
    "min_trade_increment": "0.000000001", "price_increment": "1",
}


def error(code: int, message: str) -> str:
    return json.dumps({"code": code, "message": message})


def by_client_id(order: Order) -> str:
    return f"{TRADING}/orders:by_client_order_id?client_order_id={order.id}"


def broker(clock, **options: Any) -> AlpacaBroker:
    return AlpacaBroker(api_key="PKTEST", secret_key="secret", environment=Environment.PAPER, clock=clock,
                        sleep=lambda _: None, **options)


def body(call) -> dict:
    return json.loads(call.request.body)
