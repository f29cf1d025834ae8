"""Records the store tests write, built the same way in every test file, and the codec they go through.

Named test_store_* so it sits with the store tests; it holds helpers and the codec's own tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from core.accounts import Account
from core.alerts import Alert, AlertCondition, AlertStatus
from core.audit import AuditKind, AuditRecord
from core.market import Quote, SessionClose
from core.memory import ChatTurn, Speaker
from core.orders import Fill, Order, OrderStatus, OrderType, Side
from core.portfolio import Position

TABLE = "parley-test"  # the table the dynamodb_client fixture creates

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
TINY = Decimal("0.00001")
BIG = Decimal("12345678.123456789")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_account(account_id: str = "acct-1", **fields: Any) -> Account:
    return Account(id=account_id, created_at=T0, **fields)


def make_order(order_id: str = "O1", *, account_id: str = "acct-1", symbol: str = "AAPL", **fields: Any) -> Order:
    created = fields.pop("created_at", T0)
    values: dict[str, Any] = {
        "side": Side.BUY,
        "quantity": Decimal("10"),
        "order_type": OrderType.MARKET,
        "status": OrderStatus.ACCEPTED,
    }
    values |= fields
    return Order(id=order_id, account_id=account_id, symbol=symbol, created_at=created, updated_at=created, **values)


def make_fill(fill_id: str = "F1", *, account_id: str = "acct-1", time: datetime = T0, **fields: Any) -> Fill:
    values: dict[str, Any] = {"order_id": "O1", "symbol": "AAPL", "side": Side.BUY, "quantity": Decimal("1")}
    values |= {"price": Decimal("100")} | fields
    return Fill(id=fill_id, account_id=account_id, time=time, **values)


def make_position(symbol: str = "AAPL", *, account_id: str = "acct-1", **fields: Any) -> Position:
    return Position(account_id=account_id, symbol=symbol, updated_at=T0, **fields)


def make_quote(symbol: str = "AAPL", *, time: datetime = T0, bid: str = "99.5", ask: str = "100.5") -> Quote:
    return Quote(symbol=symbol, bid=Decimal(bid), ask=Decimal(ask), time=time)


def make_close(symbol: str = "AAPL", close: datetime = T0, price: str = "100", **earlier: Any) -> SessionClose:
    return SessionClose(symbol=symbol, at=close, price=Decimal(price), **earlier)


def make_audit(record_id: str = "A1", *, account_id: str = "acct-1", time: datetime = T0) -> AuditRecord:
    return AuditRecord(
        id=record_id, time=time, account_id=account_id, kind=AuditKind.ORDER_STATE, actor="tester", data={"n": 1}
    )


def make_alert(alert_id: str = "AL1", *, account_id: str = "acct-1", symbol: str = "AAPL", **fields: Any) -> Alert:
    values: dict[str, Any] = {"condition": AlertCondition.ABOVE, "threshold": Decimal("150"), "created_at": T0}
    return Alert(id=alert_id, account_id=account_id, symbol=symbol, **(values | fields))


def make_turn(
    turn_id: str = "t1",
    *,
    account_id: str = "acct-1",
    thread: str = "telegram:12345",
    time: datetime = T0,
    ttl: timedelta = HOUR,
    **fields: Any,
) -> ChatTurn:
    values: dict[str, Any] = {"speaker": Speaker.TRADER, "text": f"turn {turn_id}"} | fields
    return ChatTurn(id=turn_id, account_id=account_id, thread=thread, time=time, expires_at=time + ttl, **values)


def trigger(alert: Alert, price: str, when: datetime) -> Alert:
    return alert.model_copy(
        update={"status": AlertStatus.TRIGGERED, "triggered_at": when, "triggered_price": Decimal(price)}
    )


def ids(records: list[Any]) -> list[str]:
    return [record.id for record in records]


def assert_utc(moment: datetime) -> None:
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


# Codec


def test_a_record_written_by_newer_code_with_an_extra_field_still_loads() -> None:
    import json

    from infra.stores.codec import load

    newer = Account(id="a1", created_at=datetime(2026, 1, 1, tzinfo=UTC)).model_dump(mode="json")
    newer["field_added_later"] = {"x": 1}
    assert load(Account, json.dumps(newer)).id == "a1"
