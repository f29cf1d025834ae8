"""The conversation service: ``converse(account, thread, text) -> replies``, the same for every channel.

The command grammar answers first; only text it cannot claim goes to the LLM agent, and only when one is
configured. Order intents become confirmation tickets; only the trader's own "yes <code>", parsed by the
grammar, executes one. LangChain is imported lazily, on the first free-text message with a key set.

Memory is the store's ConversationRepository (SQLite locally, the DynamoDB table with TTL in AWS), not a
LangGraph checkpointer: the checkpointers would put langgraph on the path of every chat message, grammar
ones included, and add a table of their own; the LLM only needs the last turns as plain messages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from agent import intents as i
from agent.grammar import parse, suggest
from agent.limits import HISTORY_TURNS, MAX_MESSAGE_LENGTH, MEMORY_TTL
from agent.replies import (
    EMPTY,
    HELP,
    NO_LLM,
    NO_POSITIONS,
    Action,
    Reply,
    alert_deleted_text,
    alert_set_text,
    alerts_text,
    cancelled_all_text,
    cancelled_text,
    closes_refused_text,
    confirmed_text,
    declined_text,
    did_you_mean_text,
    fills_text,
    kill_switch_text,
    limits_text,
    orders_text,
    portfolio_text,
    positions_text,
    price_moved_lead,
    quote_text,
    signed_in_text,
    ticket_reply,
    what_if_text,
)
from core import usecases as uc
from core.accounts import Account, TradingState
from core.alerts import AlertCondition
from core.errors import ParleyError
from core.ids import new_id
from core.memory import ChatTurn, Speaker
from core.orders import OrderType

if TYPE_CHECKING:
    from agent.llm import LlmAgent

MODIFY_FIELDS = ("quantity", "limit_price", "stop_price", "trail_amount", "trail_percent")


def did_you_mean(text: str) -> str:
    """The reply to text nothing could read, with no LLM: the closest commands, else every command."""
    return did_you_mean_text(suggest(text))


class Conversation:
    def __init__(
        self,
        deps: uc.Deps,
        *,
        llm: LlmAgent | None = None,
        llm_factory: Callable[[uc.Deps], LlmAgent | None] | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        self.deps = deps
        self._llm = llm
        self._llm_factory = llm_factory
        self._llm_ready = llm is not None
        self._env = env

    def converse(self, account: Account | str, thread: str, text: str) -> list[Reply]:
        """Answer one message of ``account`` (loaded already, or its id) in ``thread``."""
        text = text.strip()[:MAX_MESSAGE_LENGTH]
        if not text:
            return [Reply(text=EMPTY)]
        account = uc.get_account(self.deps, account)  # an unknown account is refused before anything is said
        intent = parse(text)
        try:
            if isinstance(intent, i.Unknown | i.Clarify):
                replies = self._free_text(account, thread, text, intent)
            else:
                replies = self._answer(account, intent)
        except uc.PriceMoved as moved:
            ticket: uc.Ticket = moved.details["ticket"]
            lead = price_moved_lead(moved.details["symbol"], moved.details["drift_percent"])
            replies = [ticket_reply(ticket, lead=lead)]
        except ParleyError as error:
            replies = [Reply(text=error.message)]
        self._remember(account.id, thread, text, replies)
        return replies

    # -- the grammar's intents --------------------------------------------------------------------

    def _answer(self, account: Account, intent: i.Intent) -> list[Reply]:
        deps = self.deps
        match intent:
            case i.PlaceOrder():
                return [ticket_reply(uc.stage_order(deps, account, intent.to_order_request(), source="chat"))]
            case i.ClosePosition(order_type=OrderType.MARKET):  # a close: its yes cancels the exits too
                ticket = uc.stage_close(deps, account, intent.symbol, quantity=intent.quantity,
                                        fraction=intent.fraction)
                return [ticket_reply(ticket)]
            case i.ClosePosition():  # a protective order (take profit, stop loss, trail): an order like any
                closing = uc.closing_order(
                    deps, account, intent.symbol, quantity=intent.quantity, fraction=intent.fraction,
                    order_type=intent.order_type, limit_price=intent.limit_price, stop_price=intent.stop_price,
                    trail_amount=intent.trail_amount, trail_percent=intent.trail_percent,
                )
                return [ticket_reply(uc.stage_order(deps, account, closing, source="chat"))]
            case i.CloseAll():
                staged = uc.stage_close_all(deps, account)
                replies = [ticket_reply(ticket) for ticket in staged.tickets]
                if staged.refused:
                    replies.append(Reply(text=closes_refused_text(staged.refused)))
                return replies or [Reply(text=NO_POSITIONS)]
            case i.WhatIf():
                return [Reply(text=what_if_text(uc.what_if(deps, account, intent.to_order_request()), account))]
            case i.ModifyOrder(order_id=order_id):
                changes = {name: getattr(intent, name) for name in MODIFY_FIELDS}
                return [ticket_reply(uc.stage_modify(deps, account, order_id, **changes))]
            case i.Fills():
                return [Reply(text=fills_text(uc.list_fills(deps, account)))]
            case i.Confirm(code=code):
                done = uc.confirm(deps, account, code)
                return [Reply(text=confirmed_text(done, deps.broker.venue_for(done.order.account_id)))]
            case i.Reject(code=code):
                return [Reply(text=declined_text(uc.decline_order(deps, account, code)))]
            case i.CancelOrder(order_id=order_id):
                cancelled = uc.cancel_order(deps, account, uc.resolve_order_id(deps, account, order_id))
                return [Reply(text=cancelled_text(cancelled))]
            case i.CancelAll():
                done = uc.cancel_all(deps, account)
                return [Reply(text=cancelled_all_text(len(done.working), len(done.unconfirmed)))]
            case i.ListOrders():
                working = uc.list_orders(deps, account, open_only=True)
                return [Reply(text=orders_text(working, deps.broker.venue_for(account.id)))]
            case i.Positions():
                return [Reply(text=positions_text(uc.positions(deps, account)))]
            case i.Portfolio():
                return [Reply(text=portfolio_text(uc.portfolio(deps, account)))]
            case i.Quote(symbol=symbol):
                return [Reply(text=quote_text(uc.quote(deps, symbol, account)))]
            case i.RiskStatus():
                text = limits_text(account, uc.platform_state(deps), uc.realised_pnl_today(deps, account))
                return [Reply(text=text)]
            case i.SetAlert():
                alert = uc.set_alert(deps, account, intent.symbol, AlertCondition(intent.condition), intent.threshold)
                return [Reply(text=alert_set_text(alert))]
            case i.ListAlerts():
                return [Reply(text=alerts_text(uc.list_alerts(deps, account)))]
            case i.DeleteAlert(alert_id=alert_id):
                return [Reply(text=alert_deleted_text(uc.delete_alert(deps, account, alert_id)))]
            case i.KillSwitch():
                cancelled = uc.set_trading_state(deps, account, TradingState.HALTED)
                return [Reply(text=kill_switch_text(len(cancelled)))]
            case i.Link():
                return [Reply(text=signed_in_text(account.id))]
            case i.Help():
                return [Reply(text=HELP)]
        return [Reply(text=NO_LLM)]

    # -- free text ----------------------------------------------------------------------------------

    def _free_text(self, account: Account, thread: str, text: str, intent: i.Unknown | i.Clarify) -> list[Reply]:
        llm = self._llm_agent()
        if llm is None:
            return [Reply(text=intent.question if isinstance(intent, i.Clarify) else did_you_mean(text))]
        history = self.deps.store.conversations.recent(account.id, thread, limit=HISTORY_TURNS, now=self.deps.now())
        turn = llm.respond(account.id, history, text)
        replies = [Reply(text=turn.text, actions=[Action(label=p, command=p) for p in turn.proposals])]
        replies.extend(ticket_reply(ticket) for ticket in turn.tickets)
        return replies

    def _llm_agent(self) -> LlmAgent | None:
        if not self._llm_ready:
            self._llm_ready = True
            if self._llm_factory is not None:
                self._llm = self._llm_factory(self.deps)
            elif self._env.get("OPENAI_API_KEY", "").strip():
                from agent.llm import build_llm_agent  # langchain: only now, and only with a key

                self._llm = build_llm_agent(self.deps, self._env)
        return self._llm

    def _remember(self, account: str, thread: str, text: str, replies: list[Reply]) -> None:
        now = self.deps.now()
        said = "\n".join(r.text for r in replies)
        # The answer is stamped a microsecond after the question so the two keep their order when read back.
        turns = []
        for offset, (speaker, words) in enumerate(((Speaker.TRADER, text), (Speaker.PARLEY, said))):
            at = now + timedelta(microseconds=offset)
            turns.append(ChatTurn(
                id=new_id(16), account_id=account, thread=thread, speaker=speaker, text=words[:8000],
                time=at, expires_at=at + MEMORY_TTL,
            ))
        self.deps.store.conversations.append_many(turns)
