"""The conversation service on the grammar path: every intent answered from the platform's own data."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from agent.conversation import NO_LLM, Conversation
from core import usecases as uc
from core.accounts import TradingState
from core.orders import OrderStatus
from tests.support import tick

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def chat(service):
    return Conversation(service, env={})


def say(chat: Conversation, text: str, account: str = "alice") -> list:
    return chat.converse(account, "test", text)


def test_an_order_becomes_a_ticket_and_only_the_traders_yes_executes_it(chat, service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    [ticket] = say(chat, "buy 10 AAPL")
    assert ticket.text.startswith("BUY 10 AAPL MKT DAY, est. 1,900.20 USD, risk OK, PAPER.")
    code = ticket.actions[0].command.split()[1]
    assert [a.command for a in ticket.actions] == [f"yes {code}", f"no {code}"]
    assert uc.positions(service, "alice") == []
    [done] = say(chat, ticket.actions[0].command)
    assert done.text.startswith("Done: BUY 10 AAPL filled at 190.02")
    [again] = say(chat, f"yes {code}")
    assert "already used" in again.text
    assert uc.positions(service, "alice")[0].quantity == D(10)


def test_a_code_sent_from_another_account_executes_nothing(chat, service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    uc.create_account(service, "bob")
    [ticket] = say(chat, "buy 1 AAPL")
    code = ticket.actions[0].command.split()[1]
    [refused] = say(chat, f"yes {code}", account="bob")
    assert "No order of yours is waiting" in refused.text
    assert uc.pending_confirmations(service, "alice")[0].status is OrderStatus.PENDING_CONFIRMATION


def test_no_declines_the_waiting_ticket(chat, service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    say(chat, "buy 1 AAPL")
    [reply] = say(chat, "no")
    assert reply.text == "Cancelled: buy 1 AAPL, not sent."
    assert uc.pending_confirmations(service, "alice") == []


def test_a_risk_rejection_is_explained_with_the_limit_and_the_value(chat, service, clock) -> None:
    tick(service, clock, "AAPL", "189.98", "190.02")
    [reply] = say(chat, "buy 9000 AAPL")
    assert "1,710,180.00 USD" in reply.text and "1,000,000.00 USD" in reply.text
    assert reply.actions == []


def test_closing_half_a_position_stages_the_opposite_side_for_half_the_lots(chat, service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    [ticket] = say(chat, "buy 4 CL")
    say(chat, ticket.actions[0].command)
    [close] = say(chat, "close half CL")
    assert close.text.startswith("SELL 2 CL MKT DAY")
    [nothing] = say(chat, "close NG")
    assert nothing.text == "You have no NG position to close."


def test_read_intents_answer_from_the_platform(chat, service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    assert say(chat, "quote cl")[0].text.startswith("CL: bid 70.00 / ask 70.02")
    assert say(chat, "positions")[0].text == "You have no open positions."
    assert say(chat, "orders")[0].text == "No working orders."
    assert say(chat, "pnl")[0].text.startswith("Equity 1,000,000.00 USD")
    assert "max order notional: 1,000,000.00 USD" in say(chat, "risk")[0].text
    assert say(chat, "quote NOPE")[0].text == "Unknown symbol 'NOPE'."
    assert "buy 10 AAPL" in say(chat, "help")[0].text


def test_alerts_can_be_set_listed_triggered_and_deleted(chat, service, clock) -> None:
    tick(service, clock, "NG", "3.400", "3.402")
    [set_reply] = say(chat, "alert NG above 3.5")
    alert_id = set_reply.text.split()[2].rstrip(":")
    tick(service, clock, "NG", "3.510", "3.512")
    assert "triggered at 3.511" in say(chat, "alerts")[0].text
    assert say(chat, f"delete alert {alert_id}")[0].text == f"Deleted alert {alert_id}."
    assert say(chat, "alerts")[0].text == "No alerts set."


def test_a_working_order_can_be_cancelled_by_a_prefix_of_its_id(chat, service, clock) -> None:
    tick(service, clock, "CL", "70.00", "70.02")
    [ticket] = say(chat, "buy 1 CL @ 65 gtc")
    say(chat, ticket.actions[0].command)
    [working] = uc.list_orders(service, "alice", open_only=True)
    assert say(chat, f"cancel {working.id[:5]}")[0].text == f"Cancelled order {working.id}."


def test_the_kill_command_is_refused_to_a_trader(chat, service) -> None:
    assert say(chat, "kill")[0].text == "Only an admin can do that."
    assert uc.kill_switch_state(service) is False
    assert say(chat, "kill", account="ops")[0].text.startswith("Global kill switch ON: the platform is halted")
    assert uc.platform_state(service) is TradingState.HALTED


def test_free_text_without_a_model_and_no_command_close_to_it_gets_the_list_of_commands(chat) -> None:
    [reply] = say(chat, "I fancy ten of the fruit company")
    assert reply.text == NO_LLM


def test_the_conversation_is_remembered_per_thread(chat, service, clock) -> None:
    say(chat, "help")
    turns = service.store.conversations.recent("alice", "test", limit=10, now=clock.now)
    assert [t.speaker.value for t in turns] == ["trader", "parley"]
    assert turns[0].text == "help"
    assert service.store.conversations.recent("alice", "other", limit=10, now=clock.now) == []


def test_the_conversation_path_without_a_model_never_imports_langchain_or_openai(tmp_path) -> None:
    code = (
        "import sys, os\n"
        "from infra.stores.sqlite import open_sqlite_store\n"
        "from infra.brokers.paper import PaperBroker\n"
        "from core import usecases as uc\n"
        "from agent.conversation import Conversation\n"
        f"svc = uc.Deps(open_sqlite_store({str(tmp_path / 'c.db')!r}), PaperBroker())\n"
        "uc.create_account(svc, 'a')\n"
        "chat = Conversation(svc, env={})\n"
        "chat.converse('a', 't', 'help'); chat.converse('a', 't', 'what should I buy today?')\n"
        "heavy = ('langchain', 'langchain_core', 'langgraph', 'openai')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_an_order_the_llm_stages_from_free_text_waits_for_the_traders_own_yes(service, clock) -> None:
    from agent.llm import LlmAgent
    from tests.agent.fakes import ScriptedChatModel, tool_call

    tick(service, clock, "AAPL", "189.98", "190.02")
    model = ScriptedChatModel(responses=[
        tool_call("stage_order", symbol="AAPL", side="buy", quantity="10", order_type="market"),
        "Staged: ten Apple at market. Confirm with the code below.",
    ])
    chat = Conversation(service, llm=LlmAgent(service, model))
    replies = say(chat, "I fancy ten of the fruit company")
    assert replies[0].text == "Staged: ten Apple at market. Confirm with the code below."
    ticket = replies[1]
    assert ticket.text.startswith("BUY 10 AAPL MKT DAY")
    assert uc.positions(service, "alice") == []
    [done] = say(chat, ticket.actions[0].command)
    assert done.text.startswith("Done: BUY 10 AAPL filled")
