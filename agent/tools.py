"""The LLM agent's tools: thin calls into the use cases for one account, built for one turn.

The account id is bound by closure when the tools are built, so no tool takes an account argument and
the model cannot reach another account. No tool confirms, executes, cancels, changes limits or flips a
kill switch: orders are only staged as tickets and cancels only proposed as commands for the trader.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, create_model

from agent.replies import ticket_summary
from core import usecases as uc
from core.alerts import Alert, AlertCondition
from core.errors import InvalidRequest, ParleyError
from core.instruments import shown_money
from core.orders import Order, OrderRequest, OrderType, request_fields
from core.usecases import Ticket

ORDER_LIST_LIMIT = 20
# Shown to the model as a string ("190.05"): no float ever carries a price. A JSON number is accepted too.
DecimalText = Annotated[Decimal, WithJsonSchema({"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"})]


class TurnLedger:
    """What the tools did in one turn: tickets staged and commands proposed, for the reply.

    Once closed (the turn ended, or gave up on a timeout) every further tool call is refused, so a model
    still running in the background cannot stage an order nobody will be shown.
    """

    def __init__(self) -> None:
        self.tickets: list[Ticket] = []
        self.proposals: list[str] = []
        self._closed = False
        self._lock = threading.Lock()

    def run(self, action: Callable[[], Any]) -> str:
        """Run one tool action; a ParleyError becomes a short error text the model can explain."""
        with self._lock:
            if self._closed:
                return _error("turn_over", "This turn has ended; do nothing more.")
            try:
                return _json(action())
            except ParleyError as exc:
                return _error(exc.code, exc.message)

    def record(self, ticket: Ticket) -> None:
        self.tickets.append(ticket)

    def propose(self, command: str) -> None:
        if command not in self.proposals:
            self.proposals.append(command)

    def close(self) -> tuple[list[Ticket], list[str]]:
        """Refuse any later tool call and return what was staged and proposed so far."""
        with self._lock:
            self._closed = True
            return list(self.tickets), list(self.proposals)


# -- argument schemas: extra fields are refused, so an "account_id" from the model is an error ------


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArgs(_Args):
    pass


class SymbolArgs(_Args):
    symbol: str = Field(min_length=1, max_length=32, description="Instrument symbol, e.g. AAPL, CL, BTC-USD")


class ListOrdersArgs(_Args):
    open_only: bool = Field(default=True, description="Only working orders (true) or recent orders of any state")


class _OrderArgsBase(_Args):
    def to_request(self) -> OrderRequest:
        try:
            return OrderRequest(**self.model_dump(exclude_none=True))
        except ValidationError as exc:
            raise InvalidRequest(f"Not a valid order: {_reasons(exc)}.") from None


# The order's fields are declared once, on OrderRequest; the model sees them with decimals as strings.
OrderArgs: type[_OrderArgsBase] = create_model(
    "OrderArgs",
    __base__=_OrderArgsBase,
    **request_fields(),
)


class CancelArgs(_Args):
    order_id: str = Field(min_length=1, max_length=32, description="Id of a working order of this account")


class CloseArgs(_Args):
    symbol: str = Field(min_length=1, max_length=32, description="The position to close")
    quantity: DecimalText | None = Field(default=None, description="Close this many (default: all)")
    fraction: DecimalText | None = Field(default=None, description="Or this part, e.g. 0.5 for half")
    order_type: OrderType = Field(default=OrderType.MARKET,
                                  description="market; limit (take profit); stop (stop loss); trailing_stop")
    limit_price: DecimalText | None = None
    stop_price: DecimalText | None = None
    trail_amount: DecimalText | None = None
    trail_percent: DecimalText | None = None


class ModifyArgs(_Args):
    order_id: str = Field(min_length=1, max_length=32, description="Id of a working order of this account")
    quantity: DecimalText | None = Field(default=None, description="The new total quantity")
    limit_price: DecimalText | None = None
    stop_price: DecimalText | None = None
    trail_amount: DecimalText | None = None
    trail_percent: DecimalText | None = None


class FillsArgs(_Args):
    limit: int = Field(default=20, ge=1, le=100, description="How many recent fills")


class AlertArgs(_Args):
    symbol: str = Field(min_length=1, max_length=32)
    condition: AlertCondition = Field(description="above, below, or pct_move (percent move either way)")
    threshold: DecimalText = Field(gt=0, description="A price, or a percent for pct_move")


# -- the tools ----------------------------------------------------------------------------------


def build_tools(deps: uc.Deps, account_id: str, ledger: TurnLedger) -> list[BaseTool]:
    """The agent's tools for ``account_id``; what they stage or propose is recorded in ``ledger``."""

    def stage_order(args: _OrderArgsBase) -> dict[str, Any]:
        return staged(uc.stage_order(deps, account_id, args.to_request(), source="chat"))

    def stage_cancel(args: CancelArgs) -> dict[str, Any]:
        order = uc.cancelable_order(deps, account_id, args.order_id)
        ledger.propose(f"cancel {order.id}")
        return {
            "proposed": f"cancel {order.id}", "order": _order(order),
            "note": "Nothing is cancelled until the trader sends this command.",
        }

    def check_risk(args: _OrderArgsBase) -> dict[str, Any]:
        outcome = uc.what_if(deps, account_id, args.to_request())
        decision = outcome.decision
        return {"approved": decision.approved, "message": decision.message,
                "reasons": [reason.code for reason in decision.reasons],
                "buying_power": str(shown_money(outcome.buying_power)),
                "buying_power_after": str(shown_money(outcome.buying_power_after)),
                "ties_up": None if outcome.requirement is None else str(shown_money(outcome.requirement))}

    def staged(ticket: Ticket) -> dict[str, Any]:
        ledger.record(ticket)
        return {
            "staged": True, "code": ticket.code, "summary": ticket_summary(ticket),
            "expires_at": ticket.expires_at.isoformat(),
            "note": f'Not done. Only the trader can do it, by replying "yes {ticket.code}".',
        }

    def stage_close(args: CloseArgs) -> dict[str, Any]:
        if args.order_type is OrderType.MARKET:  # a close: its yes cancels the symbol's exits too
            return staged(uc.stage_close(deps, account_id, args.symbol, quantity=args.quantity,
                                         fraction=args.fraction))
        fields = args.model_dump(exclude={"symbol"})
        closing = uc.closing_order(deps, account_id, args.symbol, **fields)
        return staged(uc.stage_order(deps, account_id, closing, source="chat"))

    def stage_close_all(args: NoArgs) -> list[dict[str, Any]]:
        closes = uc.stage_close_all(deps, account_id)
        return [*map(staged, closes.tickets),
                *({"staged": False, "symbol": r.symbol, "code": r.code, "message": r.message} for r in closes.refused)]

    def stage_modify(args: ModifyArgs) -> dict[str, Any]:
        return staged(uc.stage_modify(deps, account_id, args.order_id, **args.model_dump(exclude={"order_id"})))

    actions: list[tuple[str, str, type[_Args], Callable[[Any], Any]]] = [
        ("get_quote", "Latest bid, ask and last price of one symbol.", SymbolArgs,
         lambda a: uc.quote(deps, a.symbol, account_id).model_dump(mode="json", exclude={"source"})),
        ("get_positions", "The trader's open positions with mark price and P&L.", NoArgs,
         lambda a: [p.model_dump(mode="json") for p in uc.positions(deps, account_id)]),
        ("get_portfolio", "Cash, equity, exposure and P&L of the trader's account.", NoArgs,
         lambda a: uc.portfolio(deps, account_id).model_dump(mode="json")),
        ("list_orders", "The trader's orders, newest first: working ones only by default.", ListOrdersArgs,
         lambda a: [_order(o) for o in uc.list_orders(deps, account_id, open_only=a.open_only,
                                                      limit=ORDER_LIST_LIMIT)]),
        ("check_risk", "What-if: would the risk gate accept this order now? Stores nothing.", OrderArgs,
         check_risk),
        ("stage_order", "Prepare an order ticket the trader must confirm with its code; places nothing.",
         OrderArgs, stage_order),
        ("stage_cancel", "Propose cancelling a working order; the trader sends the command, nothing is "
         "cancelled here.", CancelArgs, stage_cancel),
        ("stage_close", "Prepare a ticket closing a position (all, a quantity or a fraction; at market, or as a "
         "take-profit limit, stop loss or trailing stop); closes nothing.", CloseArgs, stage_close),
        ("stage_close_all", "Prepare tickets closing every open position; closes nothing.", NoArgs,
         stage_close_all),
        ("stage_modify", "Prepare a ticket changing a working order's quantity, prices or trail; changes "
         "nothing until the trader confirms.", ModifyArgs, stage_modify),
        ("list_fills", "The trader's recent executions, newest first.", FillsArgs,
         lambda a: [f.model_dump(mode="json", exclude={"account_id"}) for f in uc.list_fills(deps, account_id,
                                                                                             limit=a.limit)]),
        ("set_alert", "Set a price alert: above or below a price, or a percent move.", AlertArgs,
         lambda a: _alert(uc.set_alert(deps, account_id, a.symbol, a.condition, a.threshold))),
        ("list_alerts", "The trader's price alerts.", NoArgs,
         lambda a: [_alert(alert) for alert in uc.list_alerts(deps, account_id)]),
        ("explain_limits", "The account's risk limits, its trading state and the platform's (active, reducing, "
         "halted), and whether the platform kill switch is on.", NoArgs,
         lambda a: {"limits": uc.limits(deps, account_id).model_dump(mode="json"),
                    "trading_state": uc.get_account(deps, account_id).trading_state.value,
                    "platform_trading_state": uc.platform_state(deps).value,
                    "global_kill_switch": uc.kill_switch_state(deps)}),
    ]
    return [_tool(name, description, schema, action, ledger) for name, description, schema, action in actions]


def _tool(
    name: str, description: str, schema: type[_Args], action: Callable[[Any], Any], ledger: TurnLedger
) -> BaseTool:
    def run(**kwargs: Any) -> str:
        return ledger.run(lambda: action(schema(**kwargs)))

    return StructuredTool.from_function(func=run, name=name, description=description, args_schema=schema)


def _order(order: Order) -> dict[str, Any]:
    return order.model_dump(
        mode="json", exclude_none=True,
        include={"id", "status", "side", "quantity", "symbol", "order_type", "limit_price", "stop_price",
                 "trail_amount", "trail_percent", "take_profit_price", "stop_loss_price", "time_in_force",
                 "filled_quantity", "average_price", "created_at", "reason"},
    )


def _reasons(exc: ValidationError) -> str:
    """``quantity: Input should be greater than 0; limit orders need limit_price``."""
    found = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        where = ".".join(str(part) for part in error["loc"])
        found.append(f"{where}: {message}" if where else message)
    return "; ".join(found)


def _alert(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "alert": alert.describe(), "status": alert.status.value}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _error(code: str, message: str) -> str:
    return _json({"error": code, "message": message})
