"""Stream records, decoded: the envelope (docs/architecture.md, "Stream records") and the ``data`` of each type,
or the reason a record is skipped. Quotes are read with plain code rather than a model per record: a stream batch holds
thousands, and only the latest quote of each symbol in a batch is kept (core/usecases/market/ingest.py).

``data`` shapes (decimal strings; times in the envelope, ISO 8601 UTC):
  market.quote      {"symbol", "bid", "ask", "last", "bid_size", "ask_size"}  bid and ask may be null when only a
                    last price is known; last and the sizes are optional
  market.trade      {"symbol", "price", "size"}  size optional
  order.update      {"order_id", "status", "filled_quantity", "average_price"}  status: accepted, cancelled,
                    rejected or expired change the order; filled and partially_filled come as trade.fill
  trade.fill        {"order_id", "fill_id", "symbol", "side", "quantity", "price"}
  system.alert      {"code", "message", "severity", "account_id"}  severity info|warning|critical; account_id
                    optional (the account it concerns)
  compliance.event  {"code", "message", "account_id"}  account_id optional
  webhook.event     {"source_id", "body"}  a signal accepted by POST /webhooks/signals/{source}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.envelope import Envelope, EventType
from core.errors import UnknownSymbol
from core.instruments import InstrumentCatalog
from core.numbers import PATTERN, Amount, PositiveAmount, read_amount
from core.orders import OrderStatus, Side


class Skip(StrEnum):
    """Why a record changed nothing. Counted per batch; never a batch failure."""

    NO_VALUE = "no_value"  # a Kafka record with no value (a tombstone): nothing to read, nothing to retry
    NOT_BASE64 = "not_base64"
    NOT_JSON = "not_json"
    NOT_ENVELOPE = "not_envelope"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_SYMBOL = "unknown_symbol"
    BAD_DATA = "bad_data"
    DUPLICATE = "duplicate"  # the same envelope id earlier in the batch, or its effect already stored
    STALE = "stale"  # a quote no newer than the stored one
    UNKNOWN_ORDER = "unknown_order"
    REFUSED = "refused"  # a valid event the domain refuses (an illegal order transition, say)


class Malformed(Exception):
    def __init__(self, reason: Skip) -> None:
        super().__init__(reason.value)
        self.reason = reason


def read_envelope(raw: bytes | str) -> Envelope:
    """The envelope of one record's bytes; Malformed (not_json / not_envelope) otherwise."""
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as exc:
        json_error = any(error["type"] == "json_invalid" for error in exc.errors())
        raise Malformed(Skip.NOT_JSON if json_error else Skip.NOT_ENVELOPE) from None


@dataclass(slots=True)
class Tick:
    """One market.quote or market.trade, read. ``mark`` is the last price if known, else the mid."""

    symbol: str
    time: datetime
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    mark: Decimal


def read_tick(envelope: Envelope, catalog: InstrumentCatalog) -> Tick:
    """Every record of a batch comes through here: plain code, and each price or size string read once."""
    data = envelope.data
    try:
        raw = data["symbol"]
        symbol = _SYMBOLS.get((raw, catalog)) if raw.__class__ is str else None
        if symbol is None:
            symbol = catalog.get(raw).symbol
            if raw.__class__ is str and len(_SYMBOLS) < _BOUND:
                _SYMBOLS[(raw, catalog)] = symbol
    except UnknownSymbol:
        raise Malformed(Skip.UNKNOWN_SYMBOL) from None
    except (KeyError, TypeError, AttributeError):
        raise Malformed(Skip.BAD_DATA) from None
    prices, sizes = _PRICES.get, _SIZES.get
    last: Decimal | None  # read from the raw field, which the else branch holds in the same name first
    try:
        if envelope.type == EventType.MARKET_TRADE:
            value = data["price"]
            last = prices(value) or _read(value, _PRICES)
            bid = ask = bid_size = ask_size = None
        else:
            get = data.get
            bid, ask, last = get("bid"), get("ask"), get("last")
            bid_size, ask_size = get("bid_size"), get("ask_size")
            # a string seen before is one dict look-up; anything else is read (and checked) once
            bid = None if bid is None else prices(bid) or _read(bid, _PRICES)
            ask = None if ask is None else prices(ask) or _read(ask, _PRICES)
            last = None if last is None else prices(last) or _read(last, _PRICES)
            bid_size = None if bid_size is None else sizes(bid_size) or _read(bid_size, _SIZES)
            ask_size = None if ask_size is None else sizes(ask_size) or _read(ask_size, _SIZES)
    except (KeyError, ValueError, TypeError):
        raise Malformed(Skip.BAD_DATA) from None
    if bid is None:
        if ask is not None or last is None:
            raise Malformed(Skip.BAD_DATA)  # one side only, or no price at all
        return Tick(symbol, envelope.time, None, None, last, bid_size, ask_size, last)
    if ask is None or bid > ask:
        raise Malformed(Skip.BAD_DATA)  # one side only, or a crossed book
    mark = last if last is not None else (bid + ask) / 2
    return Tick(symbol, envelope.time, bid, ask, last, bid_size, ask_size, mark)


_PLAIN = re.compile(PATTERN, re.ASCII)
_ZERO = Decimal(0)
# A feed repeats its price and size strings: each is read once (Decimal is immutable). Prices are above zero.
_PRICES: dict[Any, Decimal] = {}
_SIZES: dict[Any, Decimal] = {}
_SYMBOLS: dict[tuple[str, InstrumentCatalog], str] = {}  # a symbol as sent, resolved in its catalog
_BOUND = 100_000


def _read(value: Any, known: dict[Any, Decimal]) -> Decimal:
    """An amount as core.numbers reads it (for ``_PRICES``, above zero), remembered if it was a string."""
    plain = value.__class__ is str and _PLAIN.fullmatch(value)
    amount = Decimal(value) if plain else read_amount(value)
    if known is _PRICES and amount <= _ZERO:
        raise ValueError("a price must be positive")
    if value.__class__ is str:
        if len(known) >= _BOUND:
            known.clear()
        known[value] = amount
    return amount


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class OrderUpdate(_Data):
    order_id: str = Field(min_length=1)
    status: OrderStatus
    filled_quantity: Amount | None = None
    average_price: Amount | None = None


class TradeFill(_Data):
    order_id: str = Field(min_length=1)
    fill_id: str = Field(min_length=1)
    symbol: str
    side: Side
    quantity: PositiveAmount
    price: PositiveAmount


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class SystemEvent(_Data):
    """A system.alert or a compliance.event: told to the admins and written to the audit trail."""

    code: str = Field(min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=1000)
    severity: Severity = Severity.WARNING
    account_id: str | None = None


class WebhookEvent(_Data):
    source_id: str = Field(min_length=1)
    body: dict[str, Any]


def read_data(model: type[_Data], envelope: Envelope) -> Any:
    try:
        return model.model_validate(envelope.data)
    except ValidationError:
        raise Malformed(Skip.BAD_DATA) from None
