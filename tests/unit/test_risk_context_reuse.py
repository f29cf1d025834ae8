"""One gathered context checks many orders (the valuation and the recent orders are indexed once on it): each
order still meets exactly its own duplicates and the rate count."""

from __future__ import annotations

from decimal import Decimal as D

from core.orders import OrderType
from core.risk import RiskContext, check_order
from tests.unit.risk_support import CATALOG, NOW, account, buy, codes, quote, recent


def test_a_reused_context_finds_each_orders_own_twin_and_counts_the_minute() -> None:
    orders = [recent(age=3), recent(age=1, order_type=OrderType.LIMIT, limit_price=D("99")), recent(quantity="5")]
    ctx = RiskContext(
        account=account(duplicate_window_seconds=5, max_orders_per_minute=4), instrument=CATALOG.get("AAPL"),
        quote=quote(), now=NOW, positions=[], instruments={"AAPL": CATALOG.get("AAPL")}, quotes={},
        recent_orders=orders, day_base=D(0),
    )
    twin = check_order(buy("100"), ctx)
    assert codes(twin) == ["duplicate_order"] and twin.reasons[0].value == "3"
    assert codes(check_order(buy("100", order_type="limit", limit_price=D("99")), ctx)) == ["duplicate_order"]
    assert check_order(buy("100", order_type="limit", limit_price=D("98")), ctx).approved
    assert check_order(buy("7"), ctx).approved
