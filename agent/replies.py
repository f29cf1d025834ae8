"""What Parley says: replies with optional buttons, and the sentences for each kind of answer.

Channels render a Reply their own way (Telegram inline keyboard, web buttons, plain text for SMS); an
Action's ``command`` is the exact text the button sends back, so a button and a typed reply are one path.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from core.accounts import Account, TradingState
from core.alerts import Alert, AlertStatus
from core.channels import Action
from core.market import Quote
from core.orders import Fill, Order, OrderStatus, OrderType
from core.portfolio import PortfolioView, PositionView
from core.venues import Venue, unconfirmed_words
from core.wording import formats

if TYPE_CHECKING:  # annotations only: the chat API's cold start need not load the use cases behind them
    from core.usecases import CloseRefused, Confirmed, Ticket, WhatIf


class Reply(BaseModel):
    text: str
    actions: list[Action] = Field(default_factory=list)


HELP = """Commands I understand (no AI needed):
  buy 10 AAPL                       market order
  sell 2 CL @ 78.50 gtc             limit (also "at", "limit")
  buy 1 BTC-USD stop 65000 limit 65100
  sell 100 TSLA trail 2%            trailing stop
  buy 10 AAPL @ 190 tp 200 sl 185   bracket
  buy $1000 of AAPL                 an amount instead of a quantity
  close NG | close half CL | close all   flatten positions
  stop loss on TSLA at 240          protect a position (also: take profit, trail by 5%)
  move order 7F3K2 to 191           change a working order
  cancel 7F3K2 | cancel all         cancel working orders
  what if I buy 10 AAPL             the risk check and buying power, nothing staged
  orders | positions | fills | pnl | quote AAPL | risk
  alert NG above 3.5 | alerts       price alerts
  yes 4821 | no                     confirm or decline an order
Every order is risk-checked and waits for your "yes <code>"."""


CHAT_LIST_ITEMS = 10  # lines of a list a chat reply shows; the rest is counted, and the API lists it all

num = formats.number  # the one set of formatters (core.wording.formats), under the names replies use
qty = formats.quantity
money = formats.money


_TYPE_LABEL = {
    OrderType.MARKET: "MKT",
    OrderType.LIMIT: "LMT",
    OrderType.STOP: "STP",
    OrderType.STOP_LIMIT: "STP LMT",
    OrderType.TRAILING_STOP: "TRAIL",
    OrderType.TAKE_PROFIT: "TP",
    OrderType.BRACKET: "BRACKET",
}


def ticket_summary(ticket: Ticket) -> str:
    """``BUY 10 AAPL LMT 190.00 DAY, est. 1,900.00 USD, risk OK, PAPER``: what the trader reads before confirming,
    ending with where it would trade (``LIVE at alpaca`` for real money)."""
    request, instrument = ticket.request, ticket.instrument

    def px(value: Decimal) -> str:
        return formats.number(instrument.round_to_tick(value))

    parts = [request.side.value.upper(), formats.number(request.quantity), request.symbol,
             _TYPE_LABEL[request.order_type]]
    if request.stop_price is not None:
        parts.append(px(request.stop_price))
    if request.limit_price is not None:
        parts.append(px(request.limit_price))
    if request.trail_percent is not None:
        parts.append(formats.percent(request.trail_percent))
    if request.trail_amount is not None:
        parts.append(px(request.trail_amount))
    if request.take_profit_price is not None:
        parts.append(f"TP {px(request.take_profit_price)}")
    if request.stop_loss_price is not None:
        parts.append(f"SL {px(request.stop_loss_price)}")
    parts.append(request.time_in_force.value.upper())
    text = " ".join(parts)
    if ticket.asked_notional is not None:
        text += f" (for {money(ticket.asked_notional, instrument.currency)})"
    if ticket.notional is not None:
        text += f", est. {money(ticket.notional, instrument.currency)}"
    verdict = "risk OK" if ticket.decision.approved else ticket.decision.message
    if ticket.replaces is not None:
        text = f"Change order {ticket.replaces} to {text}"
    return f"{text}, {verdict}, {ticket.venue}"


def confirm_prompt(ticket: Ticket) -> str:
    return f"Reply yes {ticket.code} to confirm"


def ticket_reply(ticket: Ticket, lead: str = "") -> Reply:
    text = (f"{lead}{ticket_summary(ticket)}.\n{confirm_prompt(ticket)} "
            f"(until {ticket.expires_at:%H:%M:%S} UTC), or no to cancel.")
    confirm = Action(label="Confirm", command=f"yes {ticket.code}")
    return Reply(text=text, actions=[confirm, Action(label="Cancel", command=f"no {ticket.code}")])


def price(symbol: str, value: Decimal | None) -> str:
    """A price at its instrument's precision (core.wording.formats.price)."""
    return formats.price(value, symbol)


_TYPE_WORDS = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop",
    OrderType.TRAILING_STOP: "trailing stop",
    OrderType.TAKE_PROFIT: "take profit",
    OrderType.BRACKET: "bracket",
}


def order_terms(order: Order) -> str:
    """The type and every price of an order, each word once: ``stop 65.00``, ``stop 65.00 limit 64.90``,
    ``trailing stop 2%``, ``bracket TP 200.00 SL 185.00``."""
    sym = order.symbol
    parts = [_TYPE_WORDS[order.order_type]]
    if order.order_type in (OrderType.STOP, OrderType.STOP_LIMIT):
        parts.append(price(sym, order.stop_price))
    if order.order_type is OrderType.STOP_LIMIT or (
        order.order_type is OrderType.BRACKET and order.limit_price is not None
    ):
        parts += ["limit", price(sym, order.limit_price)]
    if order.order_type is OrderType.LIMIT:
        parts.append(price(sym, order.limit_price))
    if order.order_type is OrderType.TRAILING_STOP:
        parts.append(formats.percent(order.trail_percent) if order.trail_percent is not None
                     else price(sym, order.trail_amount))
    if order.order_type is OrderType.TAKE_PROFIT:
        parts.append(price(sym, order.take_profit_price))
    if order.order_type is OrderType.BRACKET:
        parts += ["TP", price(sym, order.take_profit_price), "SL", price(sym, order.stop_loss_price)]
    return " ".join(parts)


def describe_order(order: Order, venue: Venue | None = None) -> str:
    head = f"{order.id} {order.side.value.upper()} {qty(order.quantity)} {order.symbol} {order_terms(order)}"
    state = order.status.value.replace("_", " ")
    if order.status is OrderStatus.PENDING_NEW:
        state = unconfirmed_words(venue)
    if order.filled_quantity:
        state += f", {qty(order.filled_quantity)} filled @ {price(order.symbol, order.average_price)}"
    return f"{head}: {state}"


def order_done(order: Order, venue: Venue | None = None) -> str:
    """The answer to a confirmed order: filled, cancelled, rejected (by whom, and why) or working."""
    if order.status is OrderStatus.REJECTED:
        by = venue.title if venue is not None else "the venue"
        return f"Rejected by {by}: {order.reason or 'no reason given'} (order {order.id})."
    if order.status is OrderStatus.FILLED:
        return (f"Done: {order.side.value.upper()} {qty(order.quantity)} {order.symbol} filled at "
                f"{price(order.symbol, order.average_price)} (order {order.id}).")
    if order.status is OrderStatus.CANCELLED:
        return f"Order {order.id} was cancelled: {order.reason or 'no liquidity'}."
    if order.status is OrderStatus.PENDING_NEW:
        return f"Sent: {describe_order(order, venue)}."
    return f"Working: {describe_order(order, venue)}."


def confirmed_text(done: Confirmed, venue: Venue | None = None) -> str:
    """The answer to a yes: the order's outcome and, for a close, the working orders it cancelled or shrank."""
    text = order_done(done.order, venue)
    if done.cancelled:
        text += f" Cancelled to make room: {', '.join(done.cancelled)}."
    if done.resized:
        text += f" Shrunk to the position left: {', '.join(done.resized)}."
    return text


def closes_refused_text(refused: Iterable[CloseRefused]) -> str:
    """The positions "close all" could not close now, each with why."""
    return "\n".join(f"{r.symbol} not closed: {r.message}" for r in refused)


def listed(title: str, lines: list[str], where: str) -> str:
    """A list for a chat message: the title, the first CHAT_LIST_ITEMS lines, and how many more ``where`` shows."""
    shown = lines[:CHAT_LIST_ITEMS]
    if len(lines) > CHAT_LIST_ITEMS:
        more = f"... and {len(lines) - CHAT_LIST_ITEMS} more"
        shown.append(f"{more} ({where} lists them all)." if where else f"{more}.")
    return "\n".join([title, *shown])


def orders_text(orders: Iterable[Order], venue: Venue | None = None) -> str:
    lines = [describe_order(o, venue) for o in orders]
    return listed("Working orders:", lines, "GET /v1/orders?status=open") if lines else "No working orders."


def positions_text(positions: list[PositionView]) -> str:
    if not positions:
        return "You have no open positions."
    lines = [
        f"{p.symbol} {qty(p.quantity)} @ {price(p.symbol, p.average_price)}, mark {price(p.symbol, p.mark_price)}, "
        f"unrealised {money(p.unrealised_pnl, p.currency)}"
        for p in positions
    ]
    return "Positions:\n" + "\n".join(lines)


def portfolio_text(book: PortfolioView) -> str:
    c = book.currency
    return (f"Equity {money(book.equity, c)}, cash {money(book.cash, c)}.\n"
            f"P&L: realised {money(book.realised_pnl, c)}, unrealised {money(book.unrealised_pnl, c)}.\n"
            f"Gross exposure {money(book.gross_exposure, c)} across {len(book.positions)} position(s).")


def quote_text(quote: Quote) -> str:
    sym = quote.symbol
    last = f", last {price(sym, quote.last)}" if quote.last is not None else ""
    return f"{sym}: bid {price(sym, quote.bid)} / ask {price(sym, quote.ask)}{last} ({quote.time:%H:%M:%S} UTC)."


def limits_text(account: Account, platform: TradingState, today_pnl: Decimal) -> str:
    limits = account.limits
    rows = [
        ("max order quantity", num(limits.max_order_quantity)),
        ("max order notional", money(limits.max_order_notional)),
        ("price collar", formats.percent(limits.price_collar_percent) if limits.price_collar_percent else "off"),
        ("max position", num(limits.max_position_quantity)),
        ("max gross exposure", money(limits.max_gross_exposure)),
        ("daily loss limit", money(limits.daily_loss_limit)),
        ("orders per minute", num(limits.max_orders_per_minute)),
        ("duplicate window", f"{limits.duplicate_window_seconds} s"),
    ]
    state = max(account.trading_state, platform, key=lambda s: s.rank)
    trading = state.value + (" (kill switch ON)" if state is TradingState.HALTED else "")
    restricted = ", ".join(limits.restricted_symbols) or "none"
    body = "\n".join(f"  {name}: {value}" for name, value in rows)
    return (f"Your limits:\n{body}\n  restricted: {restricted}\n"
            f"Trading: {trading}. Realised P&L today: {money(today_pnl)}.")


def alert_text(alert: Alert) -> str:
    if alert.status is AlertStatus.TRIGGERED:
        at = price(alert.symbol, alert.triggered_price)
        return f"{alert.id}: {alert.describe()}, triggered at {at} ({alert.triggered_at:%H:%M} UTC)"
    return f"{alert.id}: {alert.describe()}, active"


def alerts_text(alerts: list[Alert]) -> str:
    return listed("Alerts:", [alert_text(a) for a in alerts], "GET /v1/alerts") if alerts else "No alerts set."


def fills_text(fills: list[Fill]) -> str:
    if not fills:
        return "No fills yet."
    lines = [
        f"{f.time:%m-%d %H:%M} {f.side.value.upper()} {qty(f.quantity)} {f.symbol} at {price(f.symbol, f.price)} "
        f"(order {f.order_id})"
        for f in fills
    ]
    return listed("Your fills, newest first:", lines, "")


def what_if_text(outcome: WhatIf, account: Account) -> str:
    decision = outcome.decision
    head = "Risk OK" if decision.approved else decision.message.rstrip(".")
    text = f"What if: {head}."
    if outcome.requirement is not None:
        text += (f" It would tie up {money(outcome.requirement, account.currency)}; buying power "
                 f"{money(outcome.buying_power, account.currency)} now, "
                 f"{money(outcome.buying_power_after, account.currency)} after.")
    return text + " Nothing was staged."


# -- short answers the conversation gives (worded here, over the same formatters) ---------------------------

NO_LLM = "I didn't catch that. No AI model is configured here, so I answer commands:\n" + HELP
EMPTY = "Send a command, e.g. `quote AAPL`, or `help`."
NO_POSITIONS = "You have no open positions."


def did_you_mean_text(close: list[str]) -> str:
    """The reply to text nothing could read, with no LLM: the closest commands, else every command."""
    if not close:
        return NO_LLM
    options = " or ".join(f"`{command}`" for command in close)
    return f"I didn't catch that. Did you mean {options}? (`help` lists every command.)"


def price_moved_lead(symbol: str, drift: Decimal | str) -> str:
    """The lead of a ticket asked again because the price moved; ``drift`` as PriceMoved carries it (to cents)."""
    return f"{symbol} moved {formats.percent(Decimal(drift), 2)} since you were asked. "


def declined_text(order: Order) -> str:
    return f"Cancelled: {order.side.value} {qty(order.quantity)} {order.symbol}, not sent."


def cancelled_text(order: Order) -> str:
    return f"Cancelled order {order.id}."


def cancelled_all_text(working: int, unconfirmed: int) -> str:
    return f"Cancelled {working} working order(s) and {unconfirmed} unconfirmed."


def alert_set_text(alert: Alert) -> str:
    return f"Alert set: {alert_text(alert)}."


def alert_deleted_text(alert: Alert) -> str:
    return f"Deleted alert {alert.id}."


def kill_switch_text(cancelled: int) -> str:
    return f"Global kill switch ON: the platform is halted, new orders are refused; {cancelled} cancelled."


def signed_in_text(account_id: str) -> str:
    return (f"This conversation is already signed in as {account_id}. Link codes connect a messenger account and "
            "are sent from that messenger.")
