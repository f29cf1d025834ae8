"""SQLite messaging repositories: contacts, link codes, outbound messages, notifications, conversation turns, and
their tables."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from core.channels import Channel, Contact, LinkCode, OutboundMessage
from core.errors import AlreadyExists, NotFound
from core.memory import ChatTurn
from core.notifications import Notification
from core.ports import store as ports
from infra.stores.codec import dump, key_time, load, versioned
from infra.stores.sqlite.base import Repo, insert

MESSAGING_SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, created_at TEXT NOT NULL,
    sent INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS notifications_by_account ON notifications (account_id, created_at, id);
CREATE INDEX IF NOT EXISTS notifications_unsent ON notifications (created_at, id) WHERE sent = 0;
CREATE TABLE IF NOT EXISTS chat_turns (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, thread TEXT NOT NULL,
    time TEXT NOT NULL, expires_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chat_turns_by_thread ON chat_turns (account_id, thread, time, id);
CREATE TABLE IF NOT EXISTS contacts (channel TEXT NOT NULL, address TEXT NOT NULL, account_id TEXT,
    version INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (channel, address));
CREATE INDEX IF NOT EXISTS contacts_by_account ON contacts (account_id, channel, address)
    WHERE account_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS link_codes (code TEXT PRIMARY KEY, expires_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (created_at, id);
"""


class SqliteNotifications(Repo, ports.NotificationRepository):
    def add(self, notification: Notification) -> None:
        row = {
            "id": notification.id,
            "account_id": notification.account_id,
            "created_at": key_time(notification.created_at),
            "sent": int(notification.sent_at is not None),
            "data": dump(notification),
        }
        taken = partial(AlreadyExists, f"Notification {notification.id} exists.", notification_id=notification.id)
        self.db.create("notifications", row, taken)

    def get(self, notification_id: str) -> Notification | None:
        return self.db.one(Notification, "SELECT data FROM notifications WHERE id = ?", (notification_id,))

    def list_for_account(
        self, account_id: str, *, limit: int = 50, before: tuple[datetime, str] | None = None
    ) -> list[Notification]:
        sql, args = "SELECT data FROM notifications WHERE account_id = ?", (account_id,)
        if before is not None:  # keyset: the rows after that notification
            sql += " AND (created_at, id) < (?, ?)"
            args += (key_time(before[0]), before[1])
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        return self.db.many(Notification, sql, (*args, limit))

    def list_unsent(self, *, limit: int = 100) -> list[Notification]:
        sql = "SELECT data FROM notifications WHERE sent = 0 ORDER BY created_at, id LIMIT ?"
        return self.db.many(Notification, sql, (limit,))

    def mark_sent(self, notification: Notification, at: datetime) -> None:
        sent = notification.model_copy(update={"sent_at": at})
        with self.db.write() as conn:
            conn.execute("UPDATE notifications SET sent = 1, data = ? WHERE id = ? AND sent = 0",
                         (dump(sent), notification.id))


class SqliteConversations(Repo, ports.ConversationRepository):
    def append(self, turn: ChatTurn) -> None:
        time = key_time(turn.time)
        row = {
            "id": turn.id,
            "account_id": turn.account_id,
            "thread": turn.thread,
            "time": time,
            "expires_at": key_time(turn.expires_at),
            "data": dump(turn),
        }
        with self.db.write() as conn:
            if insert(conn, "chat_turns", row):
                # Turns already expired when this one was said are dead weight: drop the thread's, so the
                # file does not grow without bound (DynamoDB's TTL does this job there).
                sql = "DELETE FROM chat_turns WHERE account_id = ? AND thread = ? AND expires_at <= ?"
                conn.execute(sql, (turn.account_id, turn.thread, time))

    def recent(self, account_id: str, thread: str, *, limit: int, now: datetime) -> list[ChatTurn]:
        if limit <= 0:
            return []
        sql = (
            "SELECT data FROM chat_turns WHERE account_id = ? AND thread = ? AND expires_at > ?"
            " ORDER BY time DESC, id DESC LIMIT ?"
        )
        return self.db.many(ChatTurn, sql, (account_id, thread, key_time(now), limit))[::-1]


class SqliteContacts(Repo, ports.ContactRepository):
    def get(self, channel: Channel, address: str) -> Contact | None:
        sql = "SELECT data FROM contacts WHERE channel = ? AND address = ?"
        return self.db.one(Contact, sql, (channel.value, address))

    def save(self, contact: Contact) -> Contact:
        stored, text = versioned(contact, contact.version + 1)
        key = {"channel": contact.channel.value, "address": contact.address}
        row = {"account_id": contact.account_id, "version": stored.version, "data": text}
        what = f"Contact {contact.channel.value}:{contact.address}"
        self.db.put_versioned("contacts", key, row, contact.version, what, create=contact.version == 0)
        return stored

    def list_for_account(self, account_id: str) -> list[Contact]:
        sql = "SELECT data FROM contacts WHERE account_id = ? ORDER BY channel, address"
        return self.db.many(Contact, sql, (account_id,))


class SqliteLinkCodes(Repo, ports.LinkCodeRepository):
    def add(self, code: LinkCode, *, now: datetime) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM link_codes WHERE expires_at <= ?", (key_time(now),))
            row = (code.code, key_time(code.expires_at), dump(code))
            if conn.execute("INSERT OR IGNORE INTO link_codes VALUES (?, ?, ?)", row).rowcount != 1:
                raise AlreadyExists(f"Link code {code.code} exists.", code=code.code)

    def take(self, code: str, *, now: datetime) -> LinkCode | None:
        with self.db.write() as conn:
            found = conn.execute("DELETE FROM link_codes WHERE code = ? RETURNING data", (code,)).fetchone()
        if found is None:
            return None
        taken = load(LinkCode, found[0])
        return taken if taken.expires_at > now else None


class SqliteMessages(Repo, ports.MessageRepository):
    def add(self, message: OutboundMessage) -> None:
        row = {"id": message.id, "created_at": key_time(message.created_at), "data": dump(message)}
        self.db.create("messages", row, partial(AlreadyExists, f"Message {message.id} exists.", message_id=message.id))

    def get(self, message_id: str) -> OutboundMessage | None:
        return self.db.one(OutboundMessage, "SELECT data FROM messages WHERE id = ?", (message_id,))

    def save(self, message: OutboundMessage) -> None:
        with self.db.write() as conn:
            if conn.execute("UPDATE messages SET data = ? WHERE id = ?", (dump(message), message.id)).rowcount != 1:
                raise NotFound(f"Message {message.id} was never recorded.", message_id=message.id)

    def due(self, *, now: datetime, limit: int = 100) -> list[OutboundMessage]:
        # Held messages are few and short-lived: read from the JSON text (SQLite's JSON functions) rather than
        # an indexed column, so the local file needs no migration.
        sql = (
            "SELECT data FROM messages WHERE json_extract(data, '$.status') = 'held' ORDER BY created_at, id"
        )
        held = self.db.many(OutboundMessage, sql)
        ready = [m for m in held if m.held_until is not None and m.held_until <= now]
        return sorted(ready, key=lambda m: (m.held_until, m.id))[:limit]

    def recent(self, *, now: datetime, limit: int = 50) -> list[OutboundMessage]:
        sql = "SELECT data FROM messages WHERE created_at <= ? ORDER BY created_at DESC, id DESC LIMIT ?"
        return self.db.many(OutboundMessage, sql, (key_time(now), limit))
