"""A close confirmed in the chat is a close, not a plain sell: "yes <code>" cancels the symbol's working exits
in the confirmation's unit, closes what is held, and names what it cancelled; "close all" closes what its
market lets it close now and says why for the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from agent.conversation import Conversation
from core import usecases as uc
from core.accounts import AccountKind, Role
from core.orders import OrderStatus
from core.risk_limits import RiskLimits
from core.sessions import Sessions
from infra.brokers.paper import PaperBroker
from infra.stores import open_store
from tests.support import Clock, order, tick

OPEN = RiskLimits(max_order_notional=None, max_gross_exposure=None, max_position_quantity=None,
                  max_order_quantity=None, daily_loss_limit=None, duplicate_window_seconds=0,
                  price_collar_percent=None)


def cash_account(service, name: str = "carol") -> None:
    uc.create_account(service, name, starting_cash=D("1000000"))
    stored = service.store.accounts.get(name)
    service.store.accounts.update(stored.model_copy(update={"kind": AccountKind.CASH}))
    uc.set_limits(service, uc.get_account(service, "ops"), name, OPEN)


def say(chat: Conversation, text: str, account: str = "carol") -> list:
    return chat.converse(account, "test", text)


def confirm(chat: Conversation, ticket, account: str = "carol") -> list:
    yes = next(a.command for a in ticket.actions if a.command.startswith("yes "))
    return say(chat, yes, account)


def held(service, symbol: str, account: str = "carol") -> D:
    position = service.store.positions.get(account, symbol)
    return D(0) if position is None else position.quantity


def working(service, account: str = "carol") -> list:
    return uc.list_orders(service, account, open_only=True)


@pytest.fixture
def sqlite_service(clock: Clock, tmp_path: Path) -> Iterator[uc.Deps]:
    store = open_store(f"sqlite:///{tmp_path / 'parley.db'}")
    deps = uc.Deps(store=store, broker=PaperBroker(), clock=clock, sessions=Sessions.exchange())
    uc.create_account(deps, "ops", role=Role.ADMIN)
    yield deps
    store.close()


def _bracket_then_close(service, clock) -> None:
    cash_account(service)
    chat = Conversation(service, env={})
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "carol", order("AAPL", "buy", "10", order_type="bracket",
                                           take_profit_price="105.00", stop_loss_price="95.00"))
    exits = sorted(o.id for o in working(service))
    assert len(exits) == 2
    [ticket] = say(chat, "close AAPL")
    assert ticket.text.startswith("SELL 10 AAPL MKT DAY"), ticket.text
    assert sorted(o.id for o in working(service)) == exits  # staging cancels nothing
    [done] = confirm(chat, ticket)
    assert done.text.startswith("Done: SELL 10 AAPL filled at 99.98"), done.text
    assert all(exit_id in done.text for exit_id in exits)
    assert held(service, "AAPL") == 0 and working(service) == []
    for bid, ask in (("105.10", "105.12"), ("94.00", "94.02")):  # where either exit would have fired
        tick(service, clock, "AAPL", bid, ask)
    assert held(service, "AAPL") == 0


def test_a_chat_close_of_a_bracketed_cash_position_cancels_both_exits_names_them_and_leaves_it_flat(
    service, clock
) -> None:
    _bracket_then_close(service, clock)


def test_the_chat_close_of_a_bracketed_cash_position_does_the_same_on_sqlite(sqlite_service, clock) -> None:
    _bracket_then_close(sqlite_service, clock)


def test_a_chat_close_cancels_the_working_gtc_stop_so_a_drop_cannot_sell_again(service, clock) -> None:
    cash_account(service)
    chat = Conversation(service, env={})
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "carol", order("AAPL", "buy", "10"))
    stop = uc.place_order(service, "carol", order("AAPL", "sell", "10", order_type="stop", stop_price="90.00",
                                                  time_in_force="gtc"))
    [ticket] = say(chat, "close AAPL")
    [done] = confirm(chat, ticket)
    assert stop.id in done.text, done.text
    assert service.store.orders.get(stop.id).status is OrderStatus.CANCELLED
    tick(service, clock, "AAPL", "89.00", "89.02")
    assert held(service, "AAPL") == 0


def test_a_chat_half_close_shrinks_the_exits_to_what_it_leaves(service, clock) -> None:
    cash_account(service)
    chat = Conversation(service, env={})
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "carol", order("AAPL", "buy", "10", order_type="bracket",
                                           take_profit_price="105.00", stop_loss_price="95.00"))
    [ticket] = say(chat, "close half AAPL")
    [done] = confirm(chat, ticket)
    assert done.text.startswith("Done: SELL 5 AAPL"), done.text
    assert held(service, "AAPL") == D(5)
    assert sorted(o.remaining_quantity for o in working(service)) == [D(5), D(5)]


def test_a_chat_close_the_gate_refuses_at_confirmation_cancels_no_exit(service, clock) -> None:
    cash_account(service)
    chat = Conversation(service, env={})
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "carol", order("AAPL", "buy", "10", order_type="bracket",
                                           take_profit_price="105.00", stop_loss_price="95.00"))
    [ticket] = say(chat, "close AAPL")
    exits = working(service)
    uc.set_limits(service, uc.get_account(service, "ops"), "carol",
                  OPEN.model_copy(update={"quote_max_age_seconds": 5}))
    clock.advance(seconds=30)  # inside the ticket's two minutes, but the quote is stale: the gate refuses
    [refused] = confirm(chat, ticket)
    assert refused.text.startswith("Rejected:") and "quote" in refused.text, refused.text
    assert working(service) == exits and held(service, "AAPL") == D(10)


def test_close_all_outside_new_york_hours_closes_the_crypto_and_says_why_apple_was_not_closed(
    service, clock
) -> None:
    cash_account(service)
    chat = Conversation(service, env={})
    for symbol, bid, ask in (("AAPL", "99.98", "100.00"), ("BTC-USD", "60000.00", "60000.10")):
        tick(service, clock, symbol, bid, ask)
        uc.place_order(service, "carol", order(symbol, "buy", "1"))
    clock.now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # Monday 18:30 in New York: NYSE shut
    for symbol, bid, ask in (("AAPL", "99.98", "100.00"), ("BTC-USD", "60000.00", "60000.10")):
        tick(service, clock, symbol, bid, ask)
    replies = say(chat, "close all")
    text = "\n".join(r.text for r in replies)
    assert "AAPL" in text and "not closed" in text, text
    [ticket] = [r for r in replies if r.actions]
    [done] = confirm(chat, ticket)
    assert "BTC-USD" in done.text, done.text
    assert (held(service, "AAPL"), held(service, "BTC-USD")) == (D(1), D(0))


def test_the_agents_close_tool_stages_a_close_whose_yes_cancels_the_bracket_exits(service, clock) -> None:
    from agent.tools import TurnLedger, build_tools

    cash_account(service)
    chat = Conversation(service, env={})
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "carol", order("AAPL", "buy", "10", order_type="bracket",
                                           take_profit_price="105.00", stop_loss_price="95.00"))
    exits = sorted(o.id for o in working(service))
    tools = {tool.name: tool for tool in build_tools(service, "carol", TurnLedger())}
    staged = json.loads(tools["stage_close"].invoke({"symbol": "AAPL"}))
    assert staged["staged"] is True, staged
    [done] = say(chat, f"yes {staged['code']}")
    assert all(exit_id in done.text for exit_id in exits), done.text
    assert held(service, "AAPL") == 0 and working(service) == []


def test_a_chat_close_whose_price_moved_asks_again_and_cancels_nothing_until_the_new_yes(service, clock) -> None:
    cash_account(service)
    chat = Conversation(service, env={})
    tick(service, clock, "AAPL", "99.98", "100.00")
    uc.place_order(service, "carol", order("AAPL", "buy", "10", order_type="bracket",
                                           take_profit_price="105.00", stop_loss_price="95.00"))
    exits = sorted(o.id for o in working(service))
    [ticket] = say(chat, "close AAPL")
    tick(service, clock, "AAPL", "97.98", "98.00")  # 2% down: past the 1% drift band
    [again] = confirm(chat, ticket)
    assert "moved" in again.text and again.actions, again.text
    assert sorted(o.id for o in working(service)) == exits and held(service, "AAPL") == D(10)
    [done] = confirm(chat, again)
    assert done.text.startswith("Done: SELL 10 AAPL filled at 97.98"), done.text
    assert all(exit_id in done.text for exit_id in exits) and held(service, "AAPL") == 0
