"""Crypto exchanges through CCXT's unified API: ``create_order``, ``cancel_order``, ``fetch_order``,
``fetch_open_orders``, ``fetch_ticker``, ``fetch_balance`` and ``load_markets``, in sandbox mode where the
exchange has one. Configured and tested end to end: Binance spot (its testnet in sandbox mode).

- Symbols: Parley's BTC-USD is the exchange's BTC/<quote>, where ``quote_currency`` says what stands for USD
  (USDT on Binance). An account trades every active spot market the exchange lists (SOL-USD is SOL/USDT), not
  only the shipped crypto; tick and lot come from the market's precision (or its minimum amount), cached an hour
  with the markets; spot is never sold short.
- Types: market, limit; stop as a stop-loss trigger, stop_limit as a stop-loss limit, take_profit as a
  take-profit trigger, trailing_stop by percent. Brackets, trailing by amount and day orders that rest are
  refused in words (spot exchanges have none of them); so is a change to a working order (cancel and place).
- Parley's order id is the client order id (Binance: newClientOrderId, looked up by origClientOrderId).
- CCXT's exceptions: InsufficientFunds, InvalidOrder, BadSymbol, MarketClosed and AuthenticationError become
  rejections in the trader's words; RateLimitExceeded is the rate limit (tried again after its Retry-After);
  RequestTimeout and other NetworkErrors are no answer, tried again with the same client order id;
  DuplicateOrderId is a lookup.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from typing import Any

import ccxt

from core.errors import InvalidRequest, QuoteUnavailable, UnknownSymbol
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

TIMEOUT_MS = 10_000
QUOTE_CURRENCY = {"binance": "USDT"}  # what stands for USD on an exchange, where it is not USD itself
_TYPES = frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT,
                    OrderType.TRAILING_STOP})
_STATUS = {"closed": OrderStatus.FILLED, "canceled": OrderStatus.CANCELLED, "cancelled": OrderStatus.CANCELLED,
           "expired": OrderStatus.EXPIRED, "rejected": OrderStatus.REJECTED}
# CCXT's refusals, in the trader's words (rate limits, invalid orders and network errors are caught before).
_WORDS: tuple[tuple[type[Exception], str], ...] = (
    (ccxt.InsufficientFunds, "not enough funds at {venue}"),
    (ccxt.MarketClosed, "the market is closed at {venue}"),
    (ccxt.BadSymbol, "{venue} does not list it"),
    (ccxt.AuthenticationError, "{venue} refused Parley's credentials for this account; tell an admin"),
    (ccxt.BadRequest, "{venue} refused the order as invalid"),
)


class ExchangeBroker(VenueAdapter):
    def __init__(
        self, exchange_id: str, *, api_key: str, secret: str, environment: Environment = Environment.SANDBOX,
        catalog: InstrumentCatalog | None = None, clock: Callable[[], datetime], client: Any = None,
        quote_currency: str | None = None, **options: Any,
    ) -> None:
        if environment is Environment.PAPER:
            raise ValueError(f"{exchange_id} has sandbox and live environments; use {exchange_id}:sandbox")
        super().__init__(Venue(name=exchange_id, environment=environment), clock=clock, **options)
        if client is None:
            client = getattr(ccxt, exchange_id)({
                "apiKey": api_key, "secret": secret, "timeout": TIMEOUT_MS, "enableRateLimit": True,
                "options": {"defaultType": "spot", "fetchMarkets": ["spot"], "fetchCurrencies": False},
            })
            if environment is Environment.SANDBOX:
                client.set_sandbox_mode(True)  # raises NotSupported where the exchange has no sandbox
        self.client = client
        self.catalog = catalog or InstrumentCatalog.default()
        self.quote_currency = quote_currency or QUOTE_CURRENCY.get(exchange_id, "USD")
        self._loaded_at: datetime | None = None

    # -- symbols and markets -----------------------------------------------------------------------

    def venue_symbol(self, symbol: str) -> str:
        """Parley's BASE-QUOTE pair as the exchange's BASE/QUOTE; UnknownSymbol for anything else (AAPL, CL)."""
        if symbol in self.catalog and self.catalog.get(symbol).asset_class is not AssetClass.CRYPTO:
            raise UnknownSymbol(symbol)
        base, dash, quote = symbol.strip().upper().partition("-")
        if not dash or not base.isalnum() or not quote.isalnum():
            raise UnknownSymbol(symbol)
        return f"{base}/{self.quote_currency if quote == 'USD' else quote}"

    def _markets(self) -> dict:
        now = self.clock()
        if self._loaded_at is None or now - self._loaded_at > LISTING_TTL:
            self.client.load_markets(reload=self._loaded_at is not None)
            self._loaded_at = now
        return self.client.markets

    def instrument(self, symbol: str) -> Instrument:
        """The exchange's spot market as an instrument: the shipped one, or one built from the market, with the
        exchange's tick and lot; never shortable (spot)."""
        with self.translated():
            market = self._markets().get(self.venue_symbol(symbol))
        if market is None or market.get("active") is False or market.get("spot") is False:
            raise UnknownSymbol(symbol)
        symbol = symbol.strip().upper()
        fields = self.catalog.get(symbol).model_dump() if symbol in self.catalog else {
            "symbol": symbol, "name": market["symbol"], "asset_class": AssetClass.CRYPTO, "currency": market["quote"],
            "tick_size": Decimal("0.01"), "lot_size": Decimal("0.00000001"), "trades_24x7": True, "calendar": "always",
        }
        mode = getattr(self.client, "precisionMode", ccxt.TICK_SIZE)
        precision = market.get("precision") or {}
        tick = _step(precision.get("price"), mode)
        lot = _step(precision.get("amount"), mode) or _step(((market.get("limits") or {}).get("amount") or {})
                                                             .get("min"), ccxt.TICK_SIZE)
        if tick:
            fields["tick_size"] = tick
        if lot:
            fields["lot_size"] = lot
        fields["fractionable"] = fields["shortable"] = False
        return Instrument.model_validate(fields)

    # -- hooks -------------------------------------------------------------------------------------

    def refuse(self, order: Order) -> str | None:
        venue = self.venue.name
        try:
            self.venue_symbol(order.symbol)
        except UnknownSymbol:
            return f"{venue} trades crypto only; {order.symbol} is not crypto"
        refusal = unsupported(venue, order, _TYPES)
        if refusal is None and order.trail_amount is not None:
            refusal = f"{venue} trails by percent only; give trail_percent"
        if refusal is None and order.time_in_force is TimeInForce.DAY and not order.at_market:
            refusal = f"{venue} has no day orders; send it gtc"
        return refusal

    def send(self, order: Order) -> VenueOrder:
        symbol = self.venue_symbol(order.symbol)
        try:
            listed = self.instrument(order.symbol)
            listed.check_quantity(order.quantity)
            for name in ("limit_price", "stop_price", "take_profit_price"):
                if getattr(order, name) is not None:
                    listed.check_price(getattr(order, name), field=name)
        except InvalidRequest as invalid:  # the exchange's own lot and tick, or a symbol it does not list
            raise Refused(f"{self.venue.name}: {invalid}") from invalid
        kind, price, params = self.request(order)
        raw = self.client.create_order(symbol, kind, order.side.value, _text(order.quantity), price, params)
        if raw.get("clientOrderId") is None:
            raw["clientOrderId"] = order.id
        return self.report(raw, order)

    def find(self, order: Order) -> VenueOrder | None:
        try:
            raw = self.client.fetch_order(None, self.venue_symbol(order.symbol), {"clientOrderId": order.id})
        except ccxt.OrderNotFound:
            return None
        return self.report(raw, order)

    def request_cancel(self, order: Order, report: VenueOrder) -> None:
        self.client.cancel_order(report.venue_id, self.venue_symbol(order.symbol))

    def replace(self, order: Order, report: VenueOrder) -> VenueOrder:
        raise Refused(f"{self.venue.name} cannot change a working order; cancel it and place a new one")

    def fetch_quote(self, symbol: str) -> Quote:
        ticker = self.client.fetch_ticker(self.venue_symbol(symbol))
        if not ticker.get("bid") or not ticker.get("ask"):
            raise QuoteUnavailable(f"{self.venue.name} has no quote for {symbol} now.", symbol=symbol)
        stamp = ticker.get("timestamp")
        return Quote(
            symbol=symbol, bid=_dec(ticker["bid"]), ask=_dec(ticker["ask"]), last=_dec(ticker.get("last")),
            bid_size=_dec(ticker.get("bidVolume")), ask_size=_dec(ticker.get("askVolume")),
            time=datetime.fromtimestamp(stamp / 1000, UTC) if stamp else self.clock(), source=self.venue.name,
        )

    @contextmanager
    def translated(self) -> Iterator[None]:
        venue = self.venue.name
        try:
            with localcontext():  # CCXT sets the decimal context's rounding (half up) and traps: keep it to CCXT
                yield
        except ccxt.DuplicateOrderId as error:
            raise Duplicate(str(error)) from error
        except ccxt.InvalidOrder as error:
            if "duplicate" in str(error).lower():
                raise Duplicate(str(error)) from error
            raise Refused(f"{venue} refused the order as invalid ({_message(error)})") from error
        except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as error:
            headers = getattr(self.client, "last_response_headers", None) or {}
            raise RateLimited(f"{venue}'s rate limit was hit",
                              retry_after=retry_after(headers.get("Retry-After"))) from error
        except ccxt.NetworkError as error:  # RequestTimeout, ExchangeNotAvailable, a dropped connection
            raise Unreachable(f"{venue} did not answer ({type(error).__name__}).") from error
        except ccxt.BaseError as error:
            for kind, words in _WORDS:
                if isinstance(error, kind):
                    raise Refused(f"{words.format(venue=venue)} ({_message(error)})") from error
            raise Refused(f"{venue} refused: {_message(error)}") from error

    # -- venue questions ---------------------------------------------------------------------------

    def positions(self) -> dict[str, Decimal]:
        """Spot balances, as positions in the pairs Parley trades: the shipped crypto instruments, and every currency
        held that the exchange lists against ``quote_currency`` (looked up in its markets when met, so a cold start
        reports what a warm process would)."""
        with self.translated():
            balance = self.client.fetch_balance()
            markets = self._markets()
        held: dict[str, Decimal] = {}
        shipped = {i.symbol.partition("-")[0] for i in self.catalog if i.asset_class is AssetClass.CRYPTO}
        for base, amounts in (balance.get("total") or {}).items():
            symbol = f"{base}-USD"
            if not amounts or base == self.quote_currency:
                continue
            try:
                if base in shipped or self.venue_symbol(symbol) in markets:
                    held[symbol] = Decimal(str(amounts))
            except UnknownSymbol:  # a currency code Parley cannot write as a pair
                continue
        return held

    # -- mapping -----------------------------------------------------------------------------------

    def request(self, order: Order) -> tuple[str, str | None, dict[str, Any]]:
        """(type, price, params) for ``create_order``."""
        params: dict[str, Any] = {"clientOrderId": order.id}
        if not order.at_market:
            params["timeInForce"] = order.time_in_force.value.upper()
        kind = order.order_type
        if kind is OrderType.MARKET:
            return "market", None, params
        if kind is OrderType.LIMIT:
            return "limit", _text(order.limit_price), params
        if kind is OrderType.STOP:
            return "market", None, {**params, "triggerPrice": _text(order.stop_price)}
        if kind is OrderType.STOP_LIMIT:
            return "limit", _text(order.limit_price), {**params, "triggerPrice": _text(order.stop_price)}
        if kind is OrderType.TAKE_PROFIT:
            return "market", None, {**params, "takeProfitPrice": _text(order.take_profit_price)}
        return "market", None, {**params, "trailingPercent": _text(order.trail_percent),
                                "stopLossOrTakeProfit": "stopLoss"}

    def report(self, raw: dict, order: Order) -> VenueOrder:
        filled = _dec(raw.get("filled")) or Decimal(0)
        status = _STATUS.get(raw.get("status") or "") or working_status(filled)
        if status is OrderStatus.FILLED and filled < order.quantity:
            status = working_status(filled)  # "closed" with a remainder is not filled
        reason = f"{self.venue.name}: {raw.get('status')}" if status.is_final and status is not OrderStatus.FILLED \
            else None
        stamp = raw.get("lastUpdateTimestamp") or raw.get("lastTradeTimestamp") or raw.get("timestamp")
        return VenueOrder(
            client_id=order.id, venue_id=str(raw["id"]), status=status, filled_quantity=filled,
            average_price=_dec(raw.get("average")), reason=reason,
            time=datetime.fromtimestamp(stamp / 1000, UTC) if stamp else self.clock(),
        )

    def open_orders(self, symbol: str) -> list[dict]:
        with self.translated():
            return self.client.fetch_open_orders(self.venue_symbol(symbol))


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _step(value: Any, mode: int) -> Decimal | None:
    """A market's precision as a step: CCXT gives the step itself (TICK_SIZE, Binance and most exchanges now) or a
    number of decimal places (DECIMAL_PLACES); significant digits name no fixed step."""
    if value is None or value == 0:
        return None
    if mode == ccxt.DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(value))
    return Decimal(str(value)) if mode == ccxt.TICK_SIZE else None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _message(error: Exception) -> str:
    """The exchange's own message: CCXT prefixes its id and often the raw JSON answer ({"code", "msg"})."""
    text = str(error)
    head, _, rest = text.partition(" ")
    raw = rest if head.isalnum() and head.islower() else text
    try:
        answer = json.loads(raw)
    except ValueError:
        return raw
    return str(answer.get("msg") or answer.get("message") or raw) if isinstance(answer, dict) else raw
