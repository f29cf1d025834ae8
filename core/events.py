"""Stream records, decoded: the envelope of DESIGN.md section 3 and the ``data`` of each type, or the reason a
record is skipped. Quotes are read with plain code rather than a model per record: a stream batch holds
thousands, and only the latest quote of each symbol in a batch is kept (core/usecases/streams.py).

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

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.envelope import Envelope, EventType
from core.errors import UnknownSymbol
from core.instruments import InstrumentCatalog
from core.numbers import Amount, PositiveAmount, read_amount
from core.orders import OrderStatus, Side


class Skip(StrEnum):
    """Why a record changed nothing. Counted per batch; never a batch failure."""

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
    data = envelope.data
    try:
        symbol = catalog.get(data["symbol"]).symbol
    except UnknownSymbol:
        raise Malformed(Skip.UNKNOWN_SYMBOL) from None
    except (KeyError, TypeError):
        raise Malformed(Skip.BAD_DATA) from None
    try:
        if envelope.type == EventType.MARKET_TRADE:
            last = _positive(data["price"])
            bid = ask = bid_size = ask_size = None
        else:
            bid, ask, last = _price(data.get("bid")), _price(data.get("ask")), _price(data.get("last"))
            bid_size, ask_size = _size(data.get("bid_size")), _size(data.get("ask_size"))
    except (KeyError, ValueError):
        raise Malformed(Skip.BAD_DATA) from None
    if (bid is None) != (ask is None) or (bid is not None and ask is not None and bid > ask):
        raise Malformed(Skip.BAD_DATA)  # one side only, or a crossed book
    if last is not None:
        mark = last
    elif bid is not None and ask is not None:
        mark = (bid + ask) / 2
    else:
        raise Malformed(Skip.BAD_DATA)  # no price at all
    return Tick(symbol, envelope.time, bid, ask, last, bid_size, ask_size, mark)


def _positive(value: Any) -> Decimal:
    return read_amount(value, positive=True)


def _price(value: Any) -> Decimal | None:
    return None if value is None else _positive(value)


def _size(value: Any) -> Decimal | None:
    return None if value is None else read_amount(value)


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


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
