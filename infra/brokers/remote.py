"""Venues reached through the broker function: the functions that place orders without the venue adapters
installed (the API, the stream consumers) invoke the one function that holds them and the venue credentials.

The request is ``{"op": "submit"|"cancel"|"modify"|"quote"|"instrument", "order": {...}, "quote": {...}|null}``
(``quote`` and ``instrument`` take ``account_id`` and ``symbol`` instead); the answer ``{"events": [...]}``,
``{"quote": {...}|null}``, ``{"instrument": {...}|null}`` or ``{"error": {"code", "message"}}``. ``serve`` is the
function's side, ``RemoteBroker`` the caller's, which keeps quotes a few seconds and listings an hour, as the
adapters do, so a use case that asks twice invokes the function once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from core.errors import ParleyError, UnknownSymbol
from core.instruments import Instrument
from core.market import Quote
from core.orders import Order
from core.ports.broker import Broker, BrokerEvent, EventKind
from core.venues import UNCONFIRMED
from infra.brokers.venue import LISTING_TTL, QUOTE_TTL

log = logging.getLogger("parley.brokers")


class RemoteError(ParleyError):
    """The broker function answered with an error (``code`` is the one it raised), or did not answer."""

    code = "broker_function_error"


class RemoteBroker(Broker):
    name = "remote"

    def __init__(self, function: str, client: Any = None, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.function = function
        self._client = client
        self.monotonic = monotonic
        self._kept: dict[tuple[str, str, str], tuple[float, Any]] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # the Lambda runtime ships it; imported on the first venue order, not at cold start

            self._client = boto3.client("lambda")
        return self._client

    def submit(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        try:
            return self._events(self._invoke("submit", order=order, quote=quote))
        except RemoteError as error:
            if error.code != RemoteError.code:  # the function refused (no credentials, say): nothing was sent
                return [BrokerEvent(kind=EventKind.REJECTED, order_id=order.id, time=now, reason=str(error))]
            log.warning("broker function did not answer for order %s", order.id)  # it may have sent it: pending_new
            return [BrokerEvent(kind=EventKind.UNCONFIRMED, order_id=order.id, time=now, reason=UNCONFIRMED)]

    def cancel(self, order: Order, now: datetime) -> list[BrokerEvent]:
        return self._events(self._invoke("cancel", order=order))

    def modify(self, order: Order, quote: Quote | None, now: datetime) -> list[BrokerEvent]:
        return self._events(self._invoke("modify", order=order, quote=quote))

    def on_quote(self, orders: list[Order], quote: Quote, now: datetime) -> list[BrokerEvent]:
        return []  # venues work their own orders

    def fresh_quote(self, account_id: str, symbol: str) -> Quote | None:
        def ask() -> Quote | None:
            answer = self._invoke("quote", account_id=account_id, symbol=symbol)
            return Quote.model_validate(answer["quote"]) if answer.get("quote") else None

        return self._kept_for("quote", account_id, symbol, QUOTE_TTL.total_seconds(), ask)

    def listed(self, account_id: str, symbol: str) -> Instrument | None:
        def ask() -> Instrument | None:
            try:
                answer = self._invoke("instrument", account_id=account_id, symbol=symbol)
            except RemoteError as error:
                if error.code == UnknownSymbol.code:
                    raise UnknownSymbol(symbol) from None
                raise
            return Instrument.model_validate(answer["instrument"]) if answer.get("instrument") else None

        return self._kept_for("instrument", account_id, symbol, LISTING_TTL.total_seconds(), ask)

    def _kept_for(self, kind: str, account_id: str, symbol: str, seconds: float, ask: Callable[[], Any]) -> Any:
        """The answer kept from an earlier ask, while younger than ``seconds``; else ask (errors are not kept)."""
        key = (kind, account_id, symbol)
        kept = self._kept.get(key)
        now = self.monotonic()
        if kept is not None and now - kept[0] <= seconds:
            return kept[1]
        answer = ask()
        self._kept[key] = (now, answer)
        return answer

    def _invoke(self, op: str, **fields: Any) -> dict:
        payload = {"op": op, **{k: v.model_dump(mode="json") if hasattr(v, "model_dump") else v
                                for k, v in fields.items()}}
        try:
            response = self.client.invoke(FunctionName=self.function, Payload=json.dumps(payload).encode())
            answer = json.loads(response["Payload"].read())
        except Exception as exc:  # botocore's errors, a timeout, a payload that is not JSON
            raise RemoteError(f"The broker function did not answer ({type(exc).__name__}).") from exc
        if response.get("FunctionError") or not isinstance(answer, dict):
            raise RemoteError("The broker function failed.")
        if "error" in answer:
            raise RemoteError(answer["error"].get("message", "refused"), code=answer["error"].get("code"))
        return answer

    @staticmethod
    def _events(answer: dict) -> list[BrokerEvent]:
        return [BrokerEvent.model_validate(event) for event in answer.get("events", [])]


def serve(broker: Broker, event: dict, now: datetime) -> dict:
    """The broker function's side: decode one request, call ``broker`` (the router, with the adapters), encode."""
    try:
        op = event.get("op")
        if op == "quote":
            quote = broker.fresh_quote(str(event["account_id"]), str(event["symbol"]))
            return {"quote": quote.model_dump(mode="json") if quote else None}
        if op == "instrument":
            listed = broker.listed(str(event["account_id"]), str(event["symbol"]))
            return {"instrument": listed.model_dump(mode="json") if listed else None}
        order = Order.model_validate(event["order"])
        quote = Quote.model_validate(event["quote"]) if event.get("quote") else None
        if op == "submit":
            events = broker.submit(order, quote, now)
        elif op == "cancel":
            events = broker.cancel(order, now)
        elif op == "modify":
            events = broker.modify(order, quote, now)
        else:
            return {"error": {"code": "bad_request", "message": f"unknown op {op!r}"}}
    except ParleyError as error:
        return {"error": {"code": error.code, "message": str(error)}}
    except (KeyError, ValueError) as error:
        return {"error": {"code": "bad_request", "message": f"malformed broker request ({type(error).__name__})"}}
    return {"events": [e.model_dump(mode="json") for e in events]}
