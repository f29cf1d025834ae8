"""DynamoDB repositories for the notification outbox, signal sources and the alert and order change logs, on the table
helpers of ``dynamodb_table``. The keys and access patterns are listed with the others in ``dynamodb``."""

from __future__ import annotations

from datetime import datetime

from core.alerts import Alert, AlertChange
from core.errors import NotFound
from core.notifications import Notification
from core.ports import store as ports
from core.signals import SignalSource
from infra.stores.codec import dump, from_key_time, key_time, load
from infra.stores.dynamodb_table import (
    Item,
    Repo,
    Table,
    UnitTable,
    Write,
    already_exists,
    attrs,
    create,
    epoch,
    from_item,
    from_items,
    put_versioned,
)

CHANGES = "ALERT_CHANGES"
ORDER_CHANGES = "ORDER_CHANGES"
HEAD = "#HEAD"  # sorts before every zero-padded sequence number, so a range query never returns it
CHANGE_LOG_TTL = ports.CHANGE_LOG_KEPT  # change log entries older than this are dropped (DynamoDB: by TTL)
OUTBOX = "OUTBOX"


def order_log(symbol: str) -> str:
    """The partition of ``symbol``'s order change log: one per symbol, so its head is hot only for that symbol."""
    return f"{ORDER_CHANGES}#{symbol}"


def _seq_key(seq: int) -> str:
    return f"{seq:012d}"


def _send(table: Table, writes: list[Write]) -> None:
    """In a unit the writes wait for its commit; alone they go out together in one transaction."""
    if isinstance(table, UnitTable):
        for write in writes:
            table.write(write)
    else:
        table.write_all(writes)


def log_change(table: Table, alert: Alert, time: datetime) -> None:
    log_entry(table, CHANGES, dump(alert), time)


def log_entry(table: Table, log: str, text: str, time: datetime) -> None:
    """Append ``text`` to the change log in partition ``log``. The head item holds the last sequence number;
    the entry is created with the head's next version in the same transaction, so concurrent writers cannot
    take one number twice (the loser's commit fails)."""
    head = table.get(log, HEAD)
    seq = int(head["version"]["N"]) if head else 0
    head_item = attrs(PK=log, SK=HEAD, version=seq + 1)
    entry = attrs(
        PK=log, SK=_seq_key(seq + 1), time=key_time(time), expires_at=epoch(time + CHANGE_LOG_TTL), data=text,
    )
    taken = already_exists(f"Change {seq + 1} of {log} exists.", seq=seq + 1)
    _send(table, [put_versioned(head_item, seq, f"The change log {log}", create=seq == 0), create(entry, taken)])


def entries_since(table: Table, log: str, cursor: int) -> list[tuple[int, datetime, str]]:
    """(seq, time, data) of the entries of change log ``log`` past ``cursor``, in order."""
    items = table.query("PK = :pk AND SK > :after", pk=log, after=_seq_key(cursor))
    return [(int(item["SK"]["S"]), from_key_time(item["time"]["S"]), item["data"]["S"]) for item in items]


def last_entry(table: Table, log: str) -> int:
    head = table.get(log, HEAD)
    return int(head["version"]["N"]) if head else 0


def changes_since(table: Table, cursor: int) -> list[AlertChange]:
    return [
        AlertChange(seq=seq, time=time, alert=load(Alert, data))
        for seq, time, data in entries_since(table, CHANGES, cursor)
    ]


def last_change(table: Table) -> int:
    return last_entry(table, CHANGES)


class DynamoNotifications(Repo, ports.NotificationRepository):
    def _item(self, notification: Notification) -> Item:
        when = f"{key_time(notification.created_at)}#{notification.id}"
        unsent = {"GSI2PK": OUTBOX, "GSI2SK": when} if notification.sent_at is None else {}
        return attrs(
            PK=f"NOTIFICATION#{notification.id}",
            SK="NOTIFICATION",
            GSI1PK=f"ACCOUNT#{notification.account_id}#NOTIFICATIONS",
            GSI1SK=when,
            data=dump(notification),
            **unsent,
        )

    def add(self, notification: Notification) -> None:
        taken = already_exists(f"Notification {notification.id} exists.", notification_id=notification.id)
        self.table.write(create(self._item(notification), taken))

    def get(self, notification_id: str) -> Notification | None:
        item = self.table.get(f"NOTIFICATION#{notification_id}", "NOTIFICATION")
        return from_item(Notification, item) if item else None

    def list_for_account(
        self, account_id: str, *, limit: int = 50, before: tuple[datetime, str] | None = None
    ) -> list[Notification]:
        condition, bounds = "GSI1PK = :pk", {"pk": f"ACCOUNT#{account_id}#NOTIFICATIONS"}
        if before is not None:  # GSI1SK is "<created_at>#<id>": the key condition starts the read after that one
            condition += " AND GSI1SK < :before"
            bounds["before"] = f"{key_time(before[0])}#{before[1]}"
        items = self.table.query(condition, index="GSI1", forward=False, page=limit, **bounds)
        return from_items(Notification, items, limit)

    def list_unsent(self, *, limit: int = 100) -> list[Notification]:
        items = self.table.query("GSI2PK = :pk", index="GSI2", page=limit, pk=OUTBOX)
        return from_items(Notification, items, limit)

    def mark_sent(self, notification: Notification, at: datetime) -> None:
        sent = notification.model_copy(update={"sent_at": at})
        if isinstance(self.table, UnitTable):  # waits for the unit's commit, which it refuses if the item is gone
            missing = NotFound(f"Notification {notification.id} not found.", notification_id=notification.id)
            key = (f"NOTIFICATION#{notification.id}", "NOTIFICATION")
            self.table.write(Write(key, self._item(sent), "attribute_exists(PK)", lambda old: old is not None,
                                   lambda old: missing))
            return
        self.table.put(self._item(sent), "attribute_exists(PK)")


class DynamoSignalSources(Repo, ports.SignalSourceRepository):
    def add(self, source: SignalSource) -> SignalSource:
        item = attrs(PK=f"SIGNAL_SOURCE#{source.id}", SK="SOURCE", data=dump(source),
                     GSI1PK=f"ACCOUNT#{source.account_id}#SIGNAL_SOURCES",
                     GSI1SK=f"{key_time(source.created_at)}#{source.id}")
        self.table.write(create(item, already_exists(f"Signal source {source.id} exists.", source_id=source.id)))
        return load(SignalSource, dump(source))

    def get(self, source_id: str) -> SignalSource | None:
        item = self.table.get(f"SIGNAL_SOURCE#{source_id}", "SOURCE")
        return from_item(SignalSource, item) if item else None

    def list_for_account(self, account_id: str) -> list[SignalSource]:
        pk = f"ACCOUNT#{account_id}#SIGNAL_SOURCES"
        return from_items(SignalSource, self.table.query("GSI1PK = :pk", index="GSI1", pk=pk))
