"""Alpaca (stocks and crypto) through alpaca-py: Parley's order model mapped onto Alpaca's orders, both ways.

- Types: market, limit, stop, stop_limit and trailing_stop as themselves; a take_profit order as a limit at its
  price; a bracket as ``order_class=bracket`` with its take-profit limit and stop-loss stop. Alpaca works the
  bracket's legs, so the exits Parley creates when the entry fills are bound to those legs (no second order is
  sent), and Parley books a bracket entry's fill once the entry is done, so its one pair of exits matches
  Alpaca's one pair of legs. Crypto takes market, limit and stop_limit, gtc or ioc (a market day order is sent
  gtc: it trades at once either way).
- Parley's order id is ``client_order_id``; a replaced order is followed through ``replaced_by``.
- Errors: 403 and 422 answers become rejections in the trader's words; a 429 is the rate limit (tried again after
  its Retry-After); a timeout, a connection error, a 408 or a 5xx is no answer, tried again with the same client
  order id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
from alpaca.common.exceptions import APIError
from alpaca.data.historical.crypto import CryptoHistoricalDataClient
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import CryptoLatestQuoteRequest, StockLatestQuoteRequest
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderClass, OrderSide
from alpaca.trading.enums import TimeInForce as AlpacaTif
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    OrderRequest,
    StopLimitOrderRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
    TrailingStopOrderRequest,
)

from core.errors import QuoteUnavailable, UnknownSymbol
from core.instruments import AssetClass, Instrument, InstrumentCatalog
from core.market import Quote
from core.orders import Order, OrderStatus, OrderType, TimeInForce
from core.ports.venue import VenueOrder
from core.venues import Environment, Venue
from infra.brokers.venue import (
    LISTING_TTL,
    Duplicate,
    RateLimited,
    Refused,
    Unreachable,
    VenueAdapter,
    retry_after,
    unsupported,
    working_status,
)

TIMEOUT_SECONDS = 10
_STATUS = {
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
    "done_for_day": OrderStatus.EXPIRED,
}
_CRYPTO_TYPES = frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LIMIT})
_EQUITY_TYPES = frozenset(OrderType)
_CRYPTO_QUOTES = ("USDT", "USDC", "USD", "BTC")  # what Alpaca's crypto pairs are quoted in, longest match first
# Alpaca's messages, in the trader's words (matched on the lower-cased message).
_WORDS = (
    ("insufficient buying power", "not enough buying power at Alpaca"),
    ("insufficient qty", "not enough shares or coins to sell at Alpaca"),
    ("not shortable", "Alpaca cannot sell it short"),
    ("cannot be sold short", "Alpaca cannot sell it short"),
    ("market is closed", "the market is closed at Alpaca"),
    ("market hours", "the market is closed at Alpaca"),
    ("not active", "Alpaca does not trade it now"),
    ("not tradable", "Alpaca does not trade it"),
    ("pattern day trading", "Alpaca's pattern day trading protection refused it"),
)


class _TradingClient(TradingClient):
    """alpaca-py's client with a timeout on every request, and a 429 raised at once: the venue adapter waits out
    Alpaca's Retry-After within its budget, rather than alpaca-py sleeping a fixed time."""

    def _one_request(self, method: str, url: str, opts: dict, retry: int) -> dict:
        return super()._one_request(method, url, {**opts, "timeout": TIMEOUT_SECONDS}, 0)


class AlpacaBroker(VenueAdapter):
    def __init__(
        self, *, api_key: str, secret_key: str, environment: Environment = Environment.PAPER,
        catalog: InstrumentCatalog | None = None, clock: Callable[[], datetime], feed: str = "iex",
        trading: TradingClient | None = None, stocks: StockHistoricalDataClient | None = None,
        crypto: CryptoHistoricalDataClient | None = None, **options: Any,
    ) -> None:
        if environment is Environment.SANDBOX:
            raise ValueError("Alpaca has paper and live environments; use alpaca:paper")
        super().__init__(Venue(name="alpaca", environment=environment), clock=clock, **options)
        paper = environment is not Environment.LIVE
        self.client = trading or _TradingClient(api_key, secret_key, paper=paper, raw_data=True)
        self.stocks = stocks or StockHistoricalDataClient(api_key, secret_key, raw_data=True)
        self.crypto = crypto or CryptoHistoricalDataClient(api_key, secret_key, raw_data=True)
        self.catalog = catalog or InstrumentCatalog.default()
        self.feed = feed
        self._listings: dict[str, tuple[Instrument | None, datetime]] = {}  # None: Alpaca does not list it

    # -- symbols -----------------------------------------------------------------------------------

    def _is_crypto(self, symbol: str) -> bool:
        """By the shipped catalog or Alpaca's listing; else by shape (Parley writes crypto pairs BASE-QUOTE)."""
        known = self.catalog.get(symbol) if symbol in self.catalog else (self._listings.get(symbol) or (None,))[0]
        return known.asset_class is AssetClass.CRYPTO if known is not None else "-" in symbol

    def venue_symbol(self, symbol: str) -> str:
        """AAPL stays AAPL; Parley's BTC-USD is Alpaca's BTC/USD."""
        return symbol.replace("-", "/") if self._is_crypto(symbol) else symbol

    def parley_symbol(self, symbol: str) -> str | None:
        """Alpaca's symbol (BTC/USD in orders, BTCUSD in positions) as Parley's, or None if Parley lists none."""
        listed = [name for name, (instrument, _) in self._listings.items() if instrument is not None]
        for name in [instrument.symbol for instrument in self.catalog] + listed:
            if symbol in (name, name.replace("-", "/"), name.replace("-", "")):
                return name
        return None

    # -- hooks -------------------------------------------------------------------------------------

    def refuse(self, order: Order) -> str | None:
        if self._is_crypto(order.symbol):
            refusal = unsupported("Alpaca", order, _CRYPTO_TYPES)
            if refusal is None and order.time_in_force is TimeInForce.FOK:
                refusal = "Alpaca takes crypto orders gtc or ioc, not fok"
            if refusal is None and order.time_in_force is TimeInForce.DAY and not order.at_market:
                refusal = "Alpaca takes crypto orders good till cancelled or ioc; send it gtc"
            return refusal
        return unsupported("Alpaca", order, _EQUITY_TYPES)

    def send(self, order: Order) -> VenueOrder:
        if order.source == "bracket" and order.parent_id is not None:
            return self._leg(order)  # Alpaca already holds it as a leg of the bracket
        raw = self.client.submit_order(self.request(order))
        return self.report(raw, order)

    def find(self, order: Order) -> VenueOrder | None:
        if order.source == "bracket" and order.parent_id is not None:
            return self._leg(order)
        raw = self._by_client_id(order.id)
        if raw is None:
            return None
        if order.order_type is OrderType.BRACKET:
            raw = self._nested(raw["id"])
        return self.report(raw, order)

    def request_cancel(self, order: Order, report: VenueOrder) -> None:
        self.client.cancel_order_by_id(report.venue_id)

    def replace(self, order: Order, report: VenueOrder) -> VenueOrder:
        body: dict[str, str] = {"qty": _text(order.quantity)}
        for name, field in (("limit_price", "limit_price"), ("stop_price", "stop_price"), ("trail", "trail_amount"),
                            ("trail", "trail_percent")):
            value = getattr(order, field)
            if value is not None:
                body[name] = _text(value)
        if order.source == "bracket" and order.order_type is OrderType.STOP and order.stop_price is not None:
            body["stop_price"] = _text(order.stop_price)
        raw = self.client.patch(f"/orders/{report.venue_id}", body)
        return self.report(raw, order)

    def fetch_quote(self, symbol: str) -> Quote:
        venue_symbol = self.venue_symbol(symbol)
        if self._is_crypto(symbol):
            data = self.crypto.get_crypto_latest_quote(CryptoLatestQuoteRequest(symbol_or_symbols=venue_symbol))
        else:
            request = StockLatestQuoteRequest(symbol_or_symbols=venue_symbol, feed=self.feed)
            data = self.stocks.get_stock_latest_quote(request)
        raw = data.get(venue_symbol) if isinstance(data, dict) else None
        if not raw or not raw.get("bp") or not raw.get("ap"):
            raise QuoteUnavailable(f"Alpaca has no quote for {symbol} now.", symbol=symbol)
        return Quote(
            symbol=symbol, bid=_dec(raw["bp"]), ask=_dec(raw["ap"]), bid_size=_dec(raw.get("bs")),
            ask_size=_dec(raw.get("as")), time=_time(raw.get("t")) or self.clock(), source="alpaca",
        )

    @contextmanager
    def translated(self) -> Iterator[None]:
        try:
            yield
        except APIError as error:
            raise _translate(error) from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise Unreachable(f"Alpaca did not answer ({type(error).__name__}).") from error

    # -- venue questions ---------------------------------------------------------------------------

    def positions(self) -> dict[str, Decimal]:
        """Every position Alpaca holds, by Parley symbol. A symbol neither shipped nor listed yet in this process is
        looked up when met (a cold start knows none), and one Alpaca no longer lists keeps Alpaca's name: what the
        venue holds is never left out of the comparison."""
        with self.translated():
            rows = self.client.get_all_positions()
        held: dict[str, Decimal] = {}
        for row in rows:
            symbol = self.parley_symbol(row["symbol"]) or self._met(row)
            held[symbol] = _dec(row["qty"]) or Decimal(0)
        return held

    def _met(self, row: dict) -> str:
        """Parley's symbol for a position whose symbol this process has not listed: looked up at Alpaca (a crypto
        position's BTCUSD is Parley's BTC-USD)."""
        name = row["symbol"]
        if row.get("asset_class") == "crypto" and "/" not in name:
            base = next((name[: -len(q)] for q in _CRYPTO_QUOTES if name.endswith(q) and len(name) > len(q)), name)
            name = f"{base}-{name[len(base):]}" if base != name else name
        name = name.replace("/", "-")
        try:
            return self.instrument(name).symbol
        except UnknownSymbol:
            return row["symbol"]

    def instrument(self, symbol: str) -> Instrument:
        """Alpaca's asset (GET /v2/assets/{symbol}) as an instrument: tick, lot, fractionable and shortable from
        Alpaca, cached for an hour (a symbol Alpaca does not list, too). A symbol the shipped catalog lacks is an
        equity, or a crypto pair when written BASE-QUOTE (SOL-USD is Alpaca's SOL/USD)."""
        cached = self._listings.get(symbol)
        now = self.clock()
        if cached is None or now - cached[1] > LISTING_TTL:
            cached = self._listings[symbol] = (self._list(symbol), now)
        if cached[0] is None:
            raise UnknownSymbol(symbol)
        return cached[0]

    def _list(self, symbol: str) -> Instrument | None:
        try:
            with self.translated():
                asset = self.client.get(f"/assets/{self.venue_symbol(symbol)}")
        except Refused:  # 404 asset not found (or 422 for a malformed symbol)
            return None
        if asset.get("status") != "active" or not asset.get("tradable"):
            return None
        shipped = self.catalog.get(symbol) if symbol in self.catalog else None
        crypto = asset.get("class") == "crypto"
        fields: dict[str, Any] = shipped.model_dump() if shipped else {
            "symbol": symbol, "name": asset.get("name", ""), "calendar": "always" if crypto else "xnys",
            "asset_class": AssetClass.CRYPTO if crypto else AssetClass.EQUITY, "tick_size": Decimal("0.01"),
            "lot_size": Decimal(1), "trades_24x7": crypto,
        }
        fields["fractionable"] = bool(asset.get("fractionable"))
        fields["shortable"] = bool(asset.get("shortable")) and not crypto
        if asset.get("price_increment"):
            fields["tick_size"] = _dec(asset["price_increment"])
        if asset.get("min_trade_increment"):
            fields["lot_size"] = _dec(asset["min_trade_increment"])
        return Instrument.model_validate(fields)

    # -- mapping -----------------------------------------------------------------------------------

    def request(self, order: Order) -> OrderRequest:
        """Parley's order as alpaca-py's request for it."""
        crypto = self._is_crypto(order.symbol)
        tif = order.time_in_force
        if crypto and tif is TimeInForce.DAY:
            tif = TimeInForce.GTC
        common: dict[str, Any] = {
            "symbol": self.venue_symbol(order.symbol), "qty": float(order.quantity),
            "side": OrderSide(order.side.value), "time_in_force": AlpacaTif(tif.value), "client_order_id": order.id,
        }
        kind = order.order_type
        if kind is OrderType.MARKET:
            return MarketOrderRequest(**common)
        if kind is OrderType.LIMIT:
            return LimitOrderRequest(**common, limit_price=float(order.limit_price))
        if kind is OrderType.TAKE_PROFIT:
            return LimitOrderRequest(**common, limit_price=float(order.take_profit_price))
        if kind is OrderType.STOP:
            return StopOrderRequest(**common, stop_price=float(order.stop_price))
        if kind is OrderType.STOP_LIMIT:
            return StopLimitOrderRequest(**common, stop_price=float(order.stop_price),
                                         limit_price=float(order.limit_price))
        if kind is OrderType.TRAILING_STOP:
            if order.trail_amount is not None:
                return TrailingStopOrderRequest(**common, trail_price=float(order.trail_amount))
            return TrailingStopOrderRequest(**common, trail_percent=float(order.trail_percent))
        legs = {
            "order_class": OrderClass.BRACKET,
            "take_profit": TakeProfitRequest(limit_price=float(order.take_profit_price)),
            "stop_loss": StopLossRequest(stop_price=float(order.stop_loss_price)),
        }
        if order.limit_price is not None:
            return LimitOrderRequest(**common, **legs, limit_price=float(order.limit_price))
        return MarketOrderRequest(**common, **legs)

    def report(self, raw: dict, order: Order) -> VenueOrder:
        """Alpaca's order JSON as a venue report on ``order``."""
        filled = _dec(raw.get("filled_qty")) or Decimal(0)
        status = _STATUS.get(raw["status"])
        if status is None:
            status = working_status(filled)
        if order.order_type is OrderType.BRACKET and not status.is_final:
            filled, status = Decimal(0), OrderStatus.ACCEPTED  # booked once the entry is done (see the docstring)
        reason = None
        if status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REJECTED):
            reason = f"alpaca: {raw['status'].replace('_', ' ')}"
        time = _time(raw.get("updated_at")) or self.clock()
        return VenueOrder(
            client_id=order.id, venue_id=raw["id"], status=status, filled_quantity=filled,
            average_price=_dec(raw.get("filled_avg_price")), reason=reason, time=time,
        )

    def _by_client_id(self, client_id: str) -> dict | None:
        """The order placed under ``client_id``, followed to the order that replaced it, if it was replaced."""
        try:
            raw = self.client.get_order_by_client_id(client_id)
        except APIError as error:
            if error.status_code == 404:
                return None
            raise
        while raw.get("status") == "replaced" and raw.get("replaced_by"):
            raw = self.client.get_order_by_id(raw["replaced_by"])
        return raw

    def _nested(self, venue_id: str) -> dict:
        """The order with its legs (``nested=true``, as Alpaca's API spells the boolean)."""
        return self.client.get(f"/orders/{venue_id}", {"nested": "true"})

    def _leg(self, exit_order: Order) -> VenueOrder:
        """A bracket exit is Alpaca's leg of the same type on the entry: the limit is the take-profit, the stop
        the stop-loss."""
        parent = self._by_client_id(exit_order.parent_id or "")
        if parent is None:
            raise Refused(f"Alpaca has no bracket {exit_order.parent_id} for this exit.")
        nested = self._nested(parent["id"])
        wanted = "limit" if exit_order.order_type is OrderType.LIMIT else "stop"
        for leg in nested.get("legs") or []:
            if leg.get("type") == wanted:
                return self.report(leg, exit_order)
        raise Refused(f"Alpaca's bracket {exit_order.parent_id} has no {wanted} leg.")


def _translate(error: APIError) -> Exception:
    status = error.status_code
    try:
        message = str(json.loads(str(error)).get("message", ""))
    except (ValueError, AttributeError):
        message = str(error)
    lowered = message.lower()
    if status is None or status >= 500 or status == 408:
        return Unreachable(f"Alpaca answered {status}: {message}")
    if status == 429:
        headers = error.response.headers if error.response is not None else {}
        return RateLimited("Alpaca's rate limit was hit", retry_after=retry_after(headers.get("Retry-After")))
    if "client_order_id must be unique" in lowered:
        return Duplicate(message)
    if status == 401 or (status == 403 and "forbidden" in lowered):
        return Refused("Alpaca refused Parley's credentials for this account; tell an admin")
    for needle, words in _WORDS:
        if needle in lowered:
            return Refused(f"{words} ({message})")
    return Refused(f"Alpaca refused the order: {message}" if message else f"Alpaca refused the order ({status})")


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
