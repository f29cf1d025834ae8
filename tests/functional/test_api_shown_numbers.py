"""Numbers leave the API as people read them: prices to the tick's places plus four, money to the cent, while
the store keeps them exact."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from core.orders import Order, Side
from core.portfolio import PortfolioView, PositionView
from functions.api.schemas import OrderOut, shown_portfolio

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def test_an_average_price_is_shown_to_the_ticks_places_plus_four() -> None:
    exact = D(2) / D(3) + D("2")  # 2.666..., 28 significant digits
    order = Order(id="O1", account_id="a", symbol="RB", side=Side.BUY, quantity=D(3), filled_quantity=D(3),
                  average_price=exact, created_at=NOW, updated_at=NOW)
    assert OrderOut.of(order).average_price == D("2.66666667")  # RB ticks 0.0001: 4 + 4 places
    assert OrderOut.of(order.model_copy(update={"symbol": "AAPL"})).average_price == D("2.666667")
    assert order.average_price == exact  # inside, nothing was rounded


def test_money_in_the_portfolio_is_shown_to_the_cent() -> None:
    third = D(1) / D(3)
    position = PositionView(symbol="CL", quantity=D(1), average_price=D(70) + third, mark_price=D("70.5"),
                            market_value=D(70500) + third, unrealised_pnl=third, realised_pnl=-third,
                            multiplier=D(1000), currency="USD")
    view = PortfolioView(account_id="a", currency="USD", cash=third, equity=third, buying_power=third,
                         margin_used=third, day_pnl=-third, gross_exposure=third, realised_pnl=third,
                         unrealised_pnl=third, positions=[position])
    shown = shown_portfolio(view)
    assert (shown.cash, shown.day_pnl, shown.buying_power) == (D("0.33"), D("-0.33"), D("0.33"))
    assert shown.positions[0].average_price == D("70.333333")
    assert (shown.positions[0].market_value, shown.positions[0].realised_pnl) == (D("70500.33"), D("-0.33"))


def test_money_shown_is_rounded_half_even_to_the_cent_not_truncated() -> None:
    two_thirds = D(2) / D(3)
    view = PortfolioView(account_id="a", currency="USD", cash=two_thirds, equity=D("0.125"), buying_power=D("0.135"),
                         margin_used=D("0.005"), day_pnl=-two_thirds, gross_exposure=D("-0.125"),
                         realised_pnl=D("1.015"), unrealised_pnl=D("1.025"), positions=[])
    shown = shown_portfolio(view)
    assert (shown.cash, shown.day_pnl) == (D("0.67"), D("-0.67"))  # truncation would show 0.66 and -0.66
    assert (shown.equity, shown.buying_power, shown.gross_exposure) == (D("0.12"), D("0.14"), D("-0.12"))  # ties
    assert (shown.margin_used, shown.realised_pnl, shown.unrealised_pnl) == (D("0.00"), D("1.02"), D("1.02"))
