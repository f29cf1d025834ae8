"""Shared builders for the risk gate tests: an account with every check off but the one under test, and check()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.accounts import Account, TradingState
from core.instruments import AssetClass, Instrument, InstrumentCatalog
from core.market import Quote
from core.orders import Order, OrderRequest, OrderStatus, Side
from core.portfolio import Position
from core.risk import RiskContext, RiskDecision, check_order
from core.risk_limits import RiskLimits

D = Decimal
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CATALOG = InstrumentCatalog(
    [
        Instrument(symbol=s, asset_class=AssetClass.EQUITY, tick_size=D("0.01"), lot_size=D(1))
        for s in ("AAPL", "MSFT", "JPM")
    ]
    + [Instrument(symbol="CL", asset_class=AssetClass.FUTURE, tick_size=D("0.01"), lot_size=D(1), multiplier=D(1000))]
)

# Every check off: each test switches on only the limit it is about.
ALL_OFF = {
    "max_order_quantity": None,
    "max_order_notional": None,
    "price_collar_percent": None,
    "max_position_quantity": None,
    "max_gross_exposure": None,
    "daily_loss_limit": None,
    "duplicate_window_seconds": 0,
    "max_orders_per_minute": None,
}


def account(trading_state: TradingState = TradingState.ACTIVE, **limits: object) -> Account:
    return Account(id="acc-1", created_at=NOW, limits=RiskLimits(**{**ALL_OFF, **limits}), trading_state=trading_state)


def quote(
    symbol: str = "AAPL", bid: str = "99.99", ask: str = "100.01", last: str | None = None, age: float = 0
) -> Quote:
    return Quote(
        symbol=symbol, bid=D(bid), ask=D(ask), last=D(last) if last else None, time=NOW - timedelta(seconds=age)
    )


def position(symbol: str, quantity: str, average_price: str) -> Position:
    return Position(
        account_id="acc-1", symbol=symbol, quantity=D(quantity), average_price=D(average_price), updated_at=NOW
    )


def recent(
    symbol: str = "AAPL", side: Side = Side.BUY, quantity: str = "100", age: float = 1, status=OrderStatus.ACCEPTED,
    **fields: object,
) -> Order:
    created = NOW - timedelta(seconds=age)
    return Order(
        id=f"o-{symbol}-{age}-{quantity}", account_id="acc-1", symbol=symbol, side=side, quantity=D(quantity),
        status=status, created_at=created, updated_at=created, **fields,
    )  # fmt: skip


def buy(quantity: str = "100", **fields: object) -> OrderRequest:
    return OrderRequest(symbol="AAPL", side=Side.BUY, quantity=D(quantity), **fields)


def sell(quantity: str = "100", symbol: str = "AAPL", **fields: object) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=Side.SELL, quantity=D(quantity), **fields)


def check(
    request: OrderRequest,
    acct: Account | None = None,
    *,
    q: Quote | None = None,
    positions: tuple[Position, ...] = (),
    quotes: tuple[Quote, ...] = (),
    orders: tuple[Order, ...] = (),
    realised: str = "0",
    kill: bool = False,
    platform: TradingState = TradingState.ACTIVE,
    use_quote: bool = True,
) -> RiskDecision:
    order_quote = (q or quote(request.symbol)) if use_quote else None
    symbols = {p.symbol for p in positions} | {request.symbol}
    ctx = RiskContext(
        account=acct or account(),
        instrument=CATALOG.get(request.symbol),
        quote=order_quote,
        now=NOW,
        positions=list(positions),
        instruments={s: CATALOG.get(s) for s in symbols},
        quotes={x.symbol: x for x in quotes},
        recent_orders=list(orders),
        day_base=D(realised),
        platform_state=TradingState.HALTED if kill else platform,
    )
    return check_order(request, ctx)


def codes(decision: RiskDecision) -> list[str]:
    return [r.code for r in decision.reasons]
