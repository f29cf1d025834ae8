"""The fill guard: booking a fill re-checks the invariants the gate promised. A fill that would take a cash
account's cash below zero or open a short of what cannot be shorted is trimmed to what keeps them, the rest of
the order is cancelled with the reason, and the trim is audited and the trader told."""

from __future__ import annotations

from decimal import Decimal as D

from core import usecases as uc
from core.accounts import AccountKind
from core.audit import AuditKind
from core.notifications import NotificationKind
from core.orders import Fill, Order, OrderStatus, Side
from core.ports.broker import BrokerEvent, EventKind
from core.usecases.trading import execution
from tests.support import order, tick


def open_account(service, name: str, kind: AccountKind, cash: str) -> None:
    uc.create_account(service, name, starting_cash=D(cash))
    stored = service.store.accounts.get(name)
    service.store.accounts.update(stored.model_copy(update={"kind": kind}))


def book(service, clock, account: str, symbol: str, side: Side, quantity: str, price: str) -> Order:
    """An order the gate let through (a gate bug, say) and a broker fill for all of it, booked."""
    now = clock.now
    working = Order(symbol=symbol, side=side, quantity=D(quantity), id=f"G-{side.value}", account_id=account,
                    status=OrderStatus.ACCEPTED, created_at=now, updated_at=now, order_type="limit",
                    limit_price=D(price))
    fill = Fill(id=f"F-{side.value}", order_id=working.id, account_id=account, symbol=symbol, side=side,
                quantity=D(quantity), price=D(price), time=now)
    with service.store.unit() as uow:
        working = uow.orders.add(working)
        execution.apply(service, uow, working, [BrokerEvent(kind=EventKind.FILL, order_id=working.id, time=now,
                                                            fill=fill)])
        uow.commit()
    return service.store.orders.get(working.id)


def test_a_buy_fill_beyond_a_cash_accounts_cash_is_trimmed_and_the_rest_cancelled(service, clock) -> None:
    open_account(service, "cash", AccountKind.CASH, "1000")
    tick(service, clock, "AAPL", "99.98", "100.00")
    done = book(service, clock, "cash", "AAPL", Side.BUY, "20", "100.00")
    assert (done.filled_quantity, done.status, done.reason) == (D(10), OrderStatus.CANCELLED, "insufficient_cash")
    assert uc.portfolio(service, "cash").cash == 0
    notes = uc.list_notifications(service, "cash")
    assert any(n.kind is NotificationKind.REJECTED and n.data.get("code") == "insufficient_cash" for n in notes)
    trail = uc.audit_trail(service, "cash")
    assert any(r.kind is AuditKind.RISK_DECISION and r.data.get("reasons") == ["insufficient_cash"] for r in trail)


def test_a_sell_fill_past_zero_on_a_cash_account_is_trimmed_to_what_is_held(service, clock) -> None:
    open_account(service, "cash", AccountKind.CASH, "10000")
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "cash", order("AAPL", "buy", "5"))
    done = book(service, clock, "cash", "AAPL", Side.SELL, "10", "100.00")
    assert (done.filled_quantity, done.status, done.reason) == (D(5), OrderStatus.CANCELLED, "would_open_short")
    assert service.store.positions.get("cash", "AAPL").quantity == 0


def test_crypto_on_a_margin_account_is_never_booked_short(service, clock) -> None:
    open_account(service, "mary", AccountKind.MARGIN, "100000")
    tick(service, clock, "BTC-USD", "60000.00", "60000.10")
    done = book(service, clock, "mary", "BTC-USD", Side.SELL, "1", "60000.00")
    assert (done.filled_quantity, done.status, done.reason) == (D(0), OrderStatus.CANCELLED, "would_open_short")
    assert service.store.positions.get("mary", "BTC-USD") is None


def test_a_short_on_a_margin_account_of_a_shortable_stock_is_booked_whole(service, clock) -> None:
    open_account(service, "mia", AccountKind.MARGIN, "100000")
    tick(service, clock, "AAPL", "99.98", "100.00")
    done = book(service, clock, "mia", "AAPL", Side.SELL, "10", "100.00")
    assert (done.filled_quantity, done.status) == (D(10), OrderStatus.FILLED)


def test_fills_booked_at_one_instant_are_listed_in_the_order_they_were_booked(service, clock) -> None:
    """A bracket entry and the stop-loss it spawned can fill on one gapping quote, at one instant. Listed by
    time and then by (random) fill id, the exit's sell could come first and the account's executions would
    show a cash position going short that never did; fills keep the order they were booked in."""
    open_account(service, "cash", AccountKind.CASH, "10000")
    tick(service, clock, "AAPL", "99.98", "100.00")
    now = clock.now
    for order_id, fill_id, side in (("entry", "Z-entry", Side.BUY), ("exit", "A-exit", Side.SELL)):
        working = Order(symbol="AAPL", side=side, quantity=D(3), id=order_id, account_id="cash",
                        status=OrderStatus.ACCEPTED, created_at=now, updated_at=now, order_type="market")
        fill = Fill(id=fill_id, order_id=order_id, account_id="cash", symbol="AAPL", side=side, quantity=D(3),
                    price=D("100.00"), time=now)
        with service.store.unit() as uow:
            working = uow.orders.add(working)
            execution.apply(service, uow, working, [BrokerEvent(kind=EventKind.FILL, order_id=order_id, time=now,
                                                                fill=fill)])
            uow.commit()
    listed = service.store.fills.list_for_account("cash")
    assert [f.id for f in listed] == ["Z-entry", "A-exit"]
    assert [f.id for f in uc.list_fills(service, "cash")] == ["A-exit", "Z-entry"]  # newest first
