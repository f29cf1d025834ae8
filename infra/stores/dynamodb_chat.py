"""DynamoDB repositories for price alerts and conversation memory, on the table helpers of ``dynamodb_table``.

The keys and access patterns are listed with the others at the top of ``infra.stores.dynamodb``.
"""

from __future__ import annotations

import itertools
from contextlib import suppress
from datetime import datetime

from core.alerts import Alert, AlertChange, AlertStatus
from core.errors import AlreadyExists, NotFound
from core.memory import ChatTurn
from core.ports import store as ports
from infra.stores import dynamodb_outbox as outbox
from infra.stores.codec import dump, key_time
from infra.stores.dynamodb_table import (
    MAX_TRANSACTION_ITEMS,
    Item,
    Repo,
    Versioned,
    Write,
    already_exists,
    attrs,
    create,
    delete_existing,
    epoch,
    from_item,
    from_items,
)


class DynamoAlerts(Versioned[Alert], ports.AlertRepository):
    model, noun, prefix, sk = Alert, "Alert", "ALERT#", "ALERT"

    def item(self, alert: Alert, text: str) -> Item:
        when = f"{key_time(alert.created_at)}#{alert.id}"
        active = alert.status is AlertStatus.ACTIVE
        keys = {"GSI2PK": f"ACTIVE_ALERTS#{alert.symbol}", "GSI2SK": when} if active else {}
        return attrs(
            PK=f"ALERT#{alert.id}",
            SK="ALERT",
            GSI1PK=f"ACCOUNT#{alert.account_id}#ALERTS",
            GSI1SK=when,
            version=alert.version,
            data=text,
            **keys,
        )

    def delete(self, alert_id: str) -> None:
        missing = NotFound(f"Alert {alert_id} not found.", alert_id=alert_id)
        self.table.write(delete_existing(f"ALERT#{alert_id}", "ALERT", missing))

    def list_for_account(
        self, account_id: str, *, limit: int | None = None, before: tuple[datetime, str] | None = None,
        cancelled: bool = True,
    ) -> list[Alert]:
        condition, bounds = "GSI1PK = :pk", {"pk": f"ACCOUNT#{account_id}#ALERTS"}
        if before is not None:  # GSI1SK is "<created_at>#<id>": the key condition starts the read after that alert
            condition += " AND GSI1SK < :before"
            bounds["before"] = f"{key_time(before[0])}#{before[1]}"
        items = self.table.query(condition, index="GSI1", forward=False, page=limit, **bounds)
        alerts = (from_item(Alert, item) for item in items)  # read page by page, only as far as needed
        kept = (a for a in alerts if cancelled or a.status is not AlertStatus.CANCELLED)
        return list(itertools.islice(kept, limit))

    def list_active_for_symbol(self, symbol: str) -> list[Alert]:
        return from_items(Alert, self.table.query("GSI2PK = :pk", index="GSI2", pk=f"ACTIVE_ALERTS#{symbol}"))

    def log_change(self, alert: Alert, time: datetime) -> None:
        outbox.log_change(self.table, alert, time)

    def changes_since(self, cursor: int) -> list[AlertChange]:
        return outbox.changes_since(self.table, cursor)

    def last_change(self) -> int:
        return outbox.last_change(self.table)


def _escaped(part: str) -> str:
    """``part`` with no '#' left in it ('%' -> %25, '#' -> %23), so '#'-joined key parts split one way only."""
    return part.replace("%", "%25").replace("#", "%23")


def _conversation(account_id: str, thread: str) -> str:
    return f"CONVERSATION#{_escaped(account_id)}#{_escaped(thread)}"


class DynamoConversations(Repo, ports.ConversationRepository):
    def _writes(self, turn: ChatTurn) -> list[Write]:
        """The turn and its id marker, each created only if absent. The marker holds the id even when a retry
        brings the same turn with another time (another SK)."""
        expires_at = epoch(turn.expires_at)
        item = attrs(
            PK=_conversation(turn.account_id, turn.thread),
            SK=f"{key_time(turn.time)}#{turn.id}",
            expires_at=expires_at,
            data=dump(turn),
        )
        marker = attrs(PK=f"TURN#{turn.id}", SK="TURN", expires_at=expires_at)
        taken = already_exists(f"Turn {turn.id} is already stored.", turn_id=turn.id)
        return [create(item, taken), create(marker, taken)]

    def append(self, turn: ChatTurn) -> None:
        with suppress(AlreadyExists):  # the id is stored already, and the transaction wrote nothing
            self.table.write_all(self._writes(turn))

    def append_many(self, turns: list[ChatTurn]) -> None:
        """One transaction for the turns and their markers (50 turns a call: 100 actions). A transaction is
        refused whole if any turn id is taken, so then the others are stored one by one."""
        first: dict[str, ChatTurn] = {}
        for turn in turns:  # one action per key in a transaction: the first turn of each id
            first.setdefault(turn.id, turn)
        distinct = list(first.values())
        size = MAX_TRANSACTION_ITEMS // 2
        for chunk in (distinct[start : start + size] for start in range(0, len(distinct), size)):
            try:
                self.table.write_all([write for turn in chunk for write in self._writes(turn)])
            except AlreadyExists:
                for turn in chunk:
                    self.append(turn)

    def recent(self, account_id: str, thread: str, *, limit: int, now: datetime) -> list[ChatTurn]:
        if limit <= 0:
            return []
        items = self.table.query(
            "PK = :pk",
            forward=False,
            filter="expires_at > :now",
            page=limit,
            pk=_conversation(account_id, thread),
            now=epoch(now),
        )
        return from_items(ChatTurn, items, limit)[::-1]
