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
from decimal import ROUND_DOWN
from typing import TYPE_CHECKING

from agent import intents as i
from agent.grammar import parse
from agent.replies import (
    HELP,
    Action,
    Reply,
    alert_text,
    alerts_text,
    limits_text,
    order_done,
    orders_text,
    portfolio_text,
    positions_text,
    quote_text,
    ticket_reply,
)
from core.alerts import AlertCondition
from core.confirmations import PriceMoved, Ticket
from core.errors import InvalidRequest, NotFound, ParleyError
from core.ids import new_id
from core.memory import ChatTurn, Speaker
from core.orders import OrderRequest, OrderType, Side
from core.service import TradingService

if TYPE_CHECKING:
    from agent.llm import LlmAgent

MAX_TEXT = 2000
HISTORY_TURNS = 20
MEMORY_TTL = timedelta(hours=24)
NO_LLM = "I didn't catch that. No AI model is configured here, so I answer commands:\n" + HELP


class Conversation:
    def __init__(
        self,
        service: TradingService,
        *,
        llm: LlmAgent | None = None,
        llm_factory: Callable[[TradingService], LlmAgent | None] | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        self.service = service
        self._llm = llm
        self._llm_factory = llm_factory
        self._llm_ready = llm is not None
        self._env = env

    def converse(self, account_id: str, thread: str, text: str) -> list[Reply]:
        text = text.strip()[:MAX_TEXT]
        if not text:
            return [Reply(text="Send a command, e.g. `quote AAPL`, or `help`.")]
        self.service.account(account_id)  # an unknown account is refused before anything is said
        intent = parse(text)
        try:
            if isinstance(intent, i.Unknown):
                replies = self._free_text(account_id, thread, text)
            else:
                replies = self._answer(account_id, intent)
        except PriceMoved as moved:
            ticket = Ticket.model_validate(moved.details["ticket"])
            drift = moved.details["drift_percent"]
            lead = f"{moved.details['symbol']} moved {drift}% since you were asked. "
            replies = [ticket_reply(ticket, lead=lead)]
        except ParleyError as error:
            replies = [Reply(text=error.message)]
        self._remember(account_id, thread, text, replies)
        return replies

    # -- the grammar's intents --------------------------------------------------------------------

    def _answer(self, account: str, intent: i.Intent) -> list[Reply]:
        svc = self.service
        match intent:
            case i.PlaceOrder():
                return [ticket_reply(svc.stage_order(account, intent.to_order_request(), source="chat"))]
            case i.ClosePosition():
                return [ticket_reply(svc.stage_order(account, self._closing_order(account, intent), source="chat"))]
            case i.Confirm(code=code):
                return [Reply(text=order_done(svc.confirm_order(account, code)))]
            case i.Reject(code=code):
                declined = svc.decline_order(account, code)
                what = f"{declined.side.value} {declined.quantity} {declined.symbol}"
                return [Reply(text=f"Cancelled: {what}, not sent.")]
            case i.CancelOrder(order_id=order_id):
                cancelled = svc.cancel_order(account, self._resolve_order_id(account, order_id))
                return [Reply(text=f"Cancelled order {cancelled.id}.")]
            case i.CancelAll():
                cancelled = svc.cancel_all(account)
                declined = [svc.decline_order(account, o.confirmation_code) for o in svc.pending_confirmations(account)]
                return [Reply(text=f"Cancelled {len(cancelled)} working order(s) and {len(declined)} unconfirmed.")]
            case i.ListOrders():
                return [Reply(text=orders_text(svc.list_orders(account, open_only=True)))]
            case i.Positions():
                return [Reply(text=positions_text(svc.positions(account)))]
            case i.Portfolio():
                return [Reply(text=portfolio_text(svc.portfolio(account)))]
            case i.Quote(symbol=symbol):
                return [Reply(text=quote_text(svc.quote(symbol)))]
            case i.RiskStatus():
                text = limits_text(svc.limits(account), svc.kill_switch_state(), svc.realised_pnl_today(account))
                return [Reply(text=text)]
            case i.SetAlert():
                alert = svc.set_alert(account, intent.symbol, AlertCondition(intent.condition), intent.threshold)
                return [Reply(text=f"Alert set: {alert_text(alert)}.")]
            case i.ListAlerts():
                return [Reply(text=alerts_text(svc.list_alerts(account)))]
            case i.DeleteAlert(alert_id=alert_id):
                return [Reply(text=f"Deleted alert {svc.delete_alert(account, alert_id).id}.")]
            case i.KillSwitch():
                cancelled = svc.set_kill_switch(svc.account(account), engaged=True)
                return [Reply(text=f"Global kill switch ON: new orders are refused; {len(cancelled)} cancelled.")]
            case i.Link():
                return [Reply(text=f"This conversation is already signed in as {account}. Link codes connect a "
                                   "messenger account and are sent from that messenger.")]
            case i.Help():
                return [Reply(text=HELP)]
        return [Reply(text=NO_LLM)]

    def _closing_order(self, account: str, intent: i.ClosePosition) -> OrderRequest:
        held = next((p for p in self.service.positions(account) if p.symbol == intent.symbol), None)
        if held is None or held.quantity == 0:
            raise NotFound(f"You have no {intent.symbol} position to close.", code="no_position")
        size = abs(held.quantity)
        lot = self.service.catalog.get(intent.symbol).lot_size
        if intent.quantity is not None:
            if intent.quantity > size:
                raise InvalidRequest(f"You hold {size} {intent.symbol}; you cannot close {intent.quantity}.")
            size = intent.quantity
        elif intent.fraction is not None:
            size = (size * intent.fraction / lot).to_integral_value(rounding=ROUND_DOWN) * lot
            if size == 0:
                raise InvalidRequest(f"That fraction of your {intent.symbol} position is less than one lot.")
        side = Side.SELL if held.quantity > 0 else Side.BUY
        return OrderRequest(symbol=intent.symbol, side=side, quantity=size, order_type=OrderType.MARKET)

    def _resolve_order_id(self, account: str, given: str) -> str:
        """A full order id, or a unique prefix of one of the account's working orders (traders abbreviate)."""
        working = self.service.list_orders(account, open_only=True)
        if any(o.id == given for o in working):
            return given
        matches = [o.id for o in working if o.id.startswith(given)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidRequest(f"{given} matches {len(matches)} orders: {', '.join(matches)}. Give more of the id.")
        return given  # let the service answer with its own "no such order"

    # -- free text ----------------------------------------------------------------------------------

    def _free_text(self, account: str, thread: str, text: str) -> list[Reply]:
        llm = self._llm_agent()
        if llm is None:
            return [Reply(text=NO_LLM)]
        history = self.service.store.conversations.recent(
            account, thread, limit=HISTORY_TURNS, now=self.service.clock()
        )
        turn = llm.respond(account, history, text)
        replies = [Reply(text=turn.text, actions=[Action(label=p, command=p) for p in turn.proposals])]
        replies.extend(ticket_reply(ticket) for ticket in turn.tickets)
        return replies

    def _llm_agent(self) -> LlmAgent | None:
        if not self._llm_ready:
            self._llm_ready = True
            if self._llm_factory is not None:
                self._llm = self._llm_factory(self.service)
            elif self._env.get("OPENAI_API_KEY", "").strip():
                from agent.llm import build_llm_agent  # langchain: only now, and only with a key

                self._llm = build_llm_agent(self.service, self._env)
        return self._llm

    def _remember(self, account: str, thread: str, text: str, replies: list[Reply]) -> None:
        now = self.service.clock()
        said = "\n".join(r.text for r in replies)
        # The answer is stamped a microsecond after the question so the two keep their order when read back.
        for offset, (speaker, words) in enumerate(((Speaker.TRADER, text), (Speaker.PARLEY, said))):
            at = now + timedelta(microseconds=offset)
            self.service.store.conversations.append(
                ChatTurn(
                    id=new_id(16), account_id=account, thread=thread, speaker=speaker, text=words[:8000],
                    time=at, expires_at=at + MEMORY_TTL,
                )
            )

