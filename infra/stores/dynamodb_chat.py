"""DynamoDB repositories for price alerts and conversation memory, on the table and helpers of ``dynamodb``.

The keys and access patterns are listed with the others at the top of ``core.store.dynamodb``.
"""

from __future__ import annotations

from datetime import datetime

from core.alerts import Alert, AlertStatus
from core.errors import NotFound
from core.memory import ChatTurn
from core.store import ports
from core.store.codec import dump, key_time
from core.store.dynamodb import Item, _attrs, _ConditionFailed, _epoch, _records, _Repo, _Versioned


class DynamoAlerts(_Versioned[Alert], ports.AlertRepository):
    model, noun, prefix, sk = Alert, "Alert", "ALERT#", "ALERT"

    def _item(self, alert: Alert, text: str) -> Item:
        when = f"{key_time(alert.created_at)}#{alert.id}"
        active = alert.status is AlertStatus.ACTIVE
        keys = {"GSI2PK": f"ACTIVE_ALERTS#{alert.symbol}", "GSI2SK": when} if active else {}
        return _attrs(
            PK=f"ALERT#{alert.id}",
            SK="ALERT",
            GSI1PK=f"ACCOUNT#{alert.account_id}#ALERTS",
            GSI1SK=when,
            version=alert.version,
            data=text,
            **keys,
        )

    def delete(self, alert_id: str) -> None:
        try:
            self.table.delete(f"ALERT#{alert_id}", "ALERT", "attribute_exists(PK)")
        except _ConditionFailed:
            raise NotFound(f"Alert {alert_id} not found.", alert_id=alert_id) from None

    def list_for_account(self, account_id: str) -> list[Alert]:
        items = self.table.query("GSI1PK = :pk", index="GSI1", forward=False, pk=f"ACCOUNT#{account_id}#ALERTS")
        return _records(Alert, items)

    def list_active_for_symbol(self, symbol: str) -> list[Alert]:
        return _records(Alert, self.table.query("GSI2PK = :pk", index="GSI2", pk=f"ACTIVE_ALERTS#{symbol}"))


def _escaped(part: str) -> str:
    """``part`` with no '#' left in it ('%' -> %25, '#' -> %23), so '#'-joined key parts split one way only."""
    return part.replace("%", "%25").replace("#", "%23")


def _conversation(account_id: str, thread: str) -> str:
    return f"CONVERSATION#{_escaped(account_id)}#{_escaped(thread)}"


class DynamoConversations(_Repo, ports.ConversationRepository):
    def append(self, turn: ChatTurn) -> None:
        expires_at = _epoch(turn.expires_at)
        item = _attrs(
            PK=_conversation(turn.account_id, turn.thread),
            SK=f"{key_time(turn.time)}#{turn.id}",
            expires_at=expires_at,
            data=dump(turn),
        )
        # The marker holds the id even when a retry brings the same turn with another time (another SK).
        marker = _attrs(PK=f"TURN#{turn.id}", SK="TURN", expires_at=expires_at)
        self.table.create_all([item, marker])  # False: the id is stored already, and nothing was written

    def recent(self, account_id: str, thread: str, *, limit: int, now: datetime) -> list[ChatTurn]:
        if limit <= 0:
            return []
        items = self.table.query(
            "PK = :pk",
            forward=False,
            filter="expires_at > :now",
            page=limit,
            pk=_conversation(account_id, thread),
            now=_epoch(now),
        )
        return _records(ChatTurn, items, limit)[::-1]
