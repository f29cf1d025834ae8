"""The change logs on the table (alerts: one log; orders: one log per symbol): numbered entries under a head item
that holds the last number, written in the unit of the change, so numbers follow commit order with no gaps."""

from __future__ import annotations

from datetime import datetime

from core.alerts import Alert, AlertChange
from core.ports import store as ports
from infra.stores.codec import dump, from_key_time, key_time, load
from infra.stores.dynamodb.table import Table, UnitTable, Write, already_exists, attrs, create, epoch, put_versioned

CHANGES = "ALERT_CHANGES"
ORDER_CHANGES = "ORDER_CHANGES"
HEAD = "#HEAD"  # sorts before every zero-padded sequence number, so a range query never returns it
CHANGE_LOG_TTL = ports.CHANGE_LOG_KEPT  # change log entries older than this are dropped (DynamoDB: by TTL)


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
