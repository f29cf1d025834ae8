"""In-memory messaging repositories: contacts, link codes, outbound messages, notifications, conversation turns."""

from __future__ import annotations

from datetime import datetime

from core.channels import Channel, Contact, LinkCode, MessageStatus, OutboundMessage
from core.errors import AlreadyExists, NotFound
from core.memory import ChatTurn
from core.notifications import Notification
from core.ports import store as ports
from infra.stores.memory.base import Repo, as_row, check_version, newest_first, versioned_row


class MemoryNotifications(Repo, ports.NotificationRepository):
    def add(self, notification: Notification) -> None:
        row = as_row(notification)
        with self._writing():
            if notification.id in self.db.tables["notifications"]:
                raise AlreadyExists(f"Notification {notification.id} exists.", notification_id=notification.id)
            self._set("notifications", notification.id, row)

    def get(self, notification_id: str) -> Notification | None:
        with self.db.lock:
            row = self.db.tables["notifications"].get(notification_id)
        return row.fresh() if row is not None else None

    def list_for_account(
        self, account_id: str, *, limit: int = 50, before: tuple[datetime, str] | None = None
    ) -> list[Notification]:
        def keep(notification: Notification) -> bool:
            return notification.account_id == account_id and (before is None or newest_first(notification) < before)

        return self._select("notifications", keep, newest_first, reverse=True, limit=limit)

    def list_unsent(self, *, limit: int = 100) -> list[Notification]:
        return self._select("notifications", lambda n: n.sent_at is None, newest_first, limit=limit)

    def mark_sent(self, notification: Notification, at: datetime) -> None:
        with self._writing():
            stored = self.db.tables["notifications"].get(notification.id)
            if stored is not None and stored.record.sent_at is None:
                self._set("notifications", notification.id, as_row(stored.fresh().model_copy(update={"sent_at": at})))


class MemoryConversations(Repo, ports.ConversationRepository):
    def append(self, turn: ChatTurn) -> None:
        row = as_row(turn)
        with self._writing():
            turns = self.db.tables["turns"]
            if turn.id in turns:
                return
            # Like SQLite: the thread's turns already expired when this one was said are dropped (and their ids
            # freed), so memory does not grow without bound.
            thread = (turn.account_id, turn.thread)
            for old_id, old in list(turns.items()):
                if (old.record.account_id, old.record.thread) == thread and old.record.expires_at <= turn.time:
                    del turns[old_id]
            turns[turn.id] = row

    def append_many(self, turns: list[ChatTurn]) -> None:
        with self.db.lock:
            for turn in turns:
                self.append(turn)

    def recent(self, account_id: str, thread: str, *, limit: int, now: datetime) -> list[ChatTurn]:
        if limit <= 0:
            return []

        def keep(turn: ChatTurn) -> bool:
            return turn.account_id == account_id and turn.thread == thread and turn.expires_at > now

        return self._select("turns", keep, lambda turn: (turn.time, turn.id), reverse=True, limit=limit)[::-1]


class MemoryContacts(Repo, ports.ContactRepository):
    def get(self, channel: Channel, address: str) -> Contact | None:
        with self.db.lock:
            row = self.db.tables["contacts"].get((channel, address))
        return row.fresh() if row is not None else None

    def save(self, contact: Contact) -> Contact:
        row = versioned_row(contact, contact.version + 1)
        key = (contact.channel, contact.address)
        with self._writing():
            stored = self.db.tables["contacts"].get(key)
            check_version(stored, contact.version, f"Contact {contact.channel}:{contact.address}",
                           create=contact.version == 0)
            self._set("contacts", key, row)
        return row.fresh()

    def list_for_account(self, account_id: str) -> list[Contact]:
        return self._select("contacts", lambda c: c.account_id == account_id, lambda c: (c.channel, c.address))


class MemoryLinkCodes(Repo, ports.LinkCodeRepository):
    def add(self, code: LinkCode, *, now: datetime) -> None:
        with self._writing():
            stored = self.db.tables["link_codes"].get(code.code)
            if stored is not None and stored.record.expires_at > now:
                raise AlreadyExists(f"Link code {code.code} exists.", code=code.code)
            self._set("link_codes", code.code, as_row(code))

    def take(self, code: str, *, now: datetime) -> LinkCode | None:
        with self._writing():
            stored = self.db.tables["link_codes"].get(code)
            if stored is None:
                return None
            self._delete("link_codes", code)
        taken = stored.fresh()
        return taken if taken.expires_at > now else None


class MemoryMessages(Repo, ports.MessageRepository):
    def add(self, message: OutboundMessage) -> None:
        with self._writing():
            if message.id in self.db.tables["messages"]:
                raise AlreadyExists(f"Message {message.id} exists.", message_id=message.id)
            self._set("messages", message.id, as_row(message))

    def get(self, message_id: str) -> OutboundMessage | None:
        with self.db.lock:
            row = self.db.tables["messages"].get(message_id)
        return row.fresh() if row is not None else None

    def save(self, message: OutboundMessage) -> None:
        with self._writing():
            if message.id not in self.db.tables["messages"]:
                raise NotFound(f"Message {message.id} was never recorded.", message_id=message.id)
            self._set("messages", message.id, as_row(message))

    def due(self, *, now: datetime, limit: int = 100) -> list[OutboundMessage]:
        def keep(message: OutboundMessage) -> bool:
            return message.status is MessageStatus.HELD and message.held_until is not None and message.held_until <= now

        return self._select("messages", keep, lambda m: (m.held_until, m.id), limit=limit)

    def recent(self, *, now: datetime, limit: int = 50) -> list[OutboundMessage]:
        return self._select("messages", lambda m: m.created_at <= now, lambda m: (m.created_at, m.id), reverse=True,
                            limit=limit)
