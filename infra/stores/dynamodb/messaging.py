"""DynamoDB messaging repositories: contacts, link codes, outbound messages, notifications, conversation turns.

    entity     PK                             SK        GSI1PK / GSI1SK
    Contact    CONTACT#<channel>#<address>    CONTACT   linked only: ACCOUNT#<acct>#CONTACTS / <channel>#<address>
    LinkCode   LINK#<code>                    CODE      (expires_at: epoch seconds, the table's TTL attribute)
    Message    MESSAGE#<id>                   MESSAGE   MESSAGES#<yyyy-mm-dd> / <created>#<id>  (TTL: 30 days)
                                                        held only: GSI2PK HELD_MESSAGES / GSI2SK <until>#<id>
    Notification, ChatTurn and TurnId: see the table in ``infra.stores.dynamodb``.

    contacts.save       put_versioned (created at version 0); the GSI1 keys only while linked (a sparse index)
    link_codes.add      put if absent or expired; take: delete returning the old item, so one taker gets it (in a
                        unit: read the code, then delete it at commit only if it is still the code read, so a
                        taker outside the unit and the unit never both get it: the unit's commit is refused)
    messages.save       put only if the message exists (NotFound otherwise), alone or at the unit's commit
    messages.recent     query GSI1 by day from ``now`` back, newest first, until ``limit`` are found (a week at most)
    messages.due        query GSI2 HELD_MESSAGES with GSI2SK <= now: sparse, the keys go when the message does
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.channels import Channel, Contact, LinkCode, MessageStatus, OutboundMessage
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound
from core.memory import ChatTurn
from core.notifications import Notification
from core.ports import store as ports
from infra.stores.codec import dump, key_time, load, versioned
from infra.stores.dynamodb.table import (
    MAX_TRANSACTION_ITEMS,
    Item,
    Repo,
    UnitTable,
    Write,
    already_exists,
    attrs,
    create,
    epoch,
    from_item,
    from_items,
    key,
    put_versioned,
)


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


MESSAGE_TTL = timedelta(days=30)
HELD = "HELD_MESSAGES"
RECENT_DAYS = 7


def _contact_pk(channel: Channel, address: str) -> str:
    return f"CONTACT#{channel.value}#{address}"


class DynamoContacts(Repo, ports.ContactRepository):
    def get(self, channel: Channel, address: str) -> Contact | None:
        item = self.table.get(_contact_pk(channel, address), "CONTACT")
        return from_item(Contact, item) if item else None

    def save(self, contact: Contact) -> Contact:
        stored, text = versioned(contact, contact.version + 1)
        linked = (
            {"GSI1PK": f"ACCOUNT#{contact.account_id}#CONTACTS", "GSI1SK": f"{contact.channel.value}#{contact.address}"}
            if contact.account_id else {}
        )
        item = attrs(PK=_contact_pk(contact.channel, contact.address), SK="CONTACT", version=stored.version,
                     data=text, **linked)
        what = f"Contact {contact.channel.value}:{contact.address}"
        self.table.write(put_versioned(item, contact.version, what, create=contact.version == 0))
        return stored

    def list_for_account(self, account_id: str) -> list[Contact]:
        items = self.table.query("GSI1PK = :pk", index="GSI1", pk=f"ACCOUNT#{account_id}#CONTACTS")
        return from_items(Contact, items)


class DynamoLinkCodes(Repo, ports.LinkCodeRepository):
    def add(self, code: LinkCode, *, now: datetime) -> None:
        item = attrs(PK=f"LINK#{code.code}", SK="CODE", expires_at=epoch(code.expires_at), data=dump(code))
        moment = epoch(now)
        self.table.write(Write(
            (f"LINK#{code.code}", "CODE"), item, "attribute_not_exists(PK) OR expires_at <= :now",
            lambda old: old is None or Decimal(old["expires_at"]["N"]) <= moment,
            already_exists(f"Link code {code.code} exists.", code=code.code), attrs(**{":now": moment}),
        ))

    def take(self, code: str, *, now: datetime) -> LinkCode | None:
        old = self._take_in_unit(code) if isinstance(self.table, UnitTable) else self._take_now(code)
        if not old:
            return None
        taken = load(LinkCode, old["data"]["S"])
        return taken if taken.expires_at > now else None

    def _take_now(self, code: str) -> Item | None:
        response = self.table.call("delete_item", TableName=self.table.name, Key=key(f"LINK#{code}", "CODE"),
                                   ReturnValues="ALL_OLD")
        return response.get("Attributes")

    def _take_in_unit(self, code: str) -> Item | None:
        """The code as read now; its delete waits for the commit, conditional on the code still being this one."""
        old = self.table.get(f"LINK#{code}", "CODE")
        if old is None:
            return None
        expires = old["expires_at"]

        def gone(stored: Item | None) -> Exception:
            return ConcurrentUpdate(f"Link code {code} was taken meanwhile; ask for a new one.", code=code)

        self.table.write(Write((f"LINK#{code}", "CODE"), None, "expires_at = :expires",
                               lambda stored: stored is not None and stored.get("expires_at") == expires, gone,
                               {":expires": expires}))
        return old


class DynamoMessages(Repo, ports.MessageRepository):
    def _item(self, message: OutboundMessage) -> Item:
        held = (
            {"GSI2PK": HELD, "GSI2SK": f"{key_time(message.held_until)}#{message.id}"}
            if message.status is MessageStatus.HELD and message.held_until is not None else {}
        )
        return attrs(
            PK=f"MESSAGE#{message.id}", SK="MESSAGE", GSI1PK=f"MESSAGES#{message.created_at:%Y-%m-%d}",
            GSI1SK=f"{key_time(message.created_at)}#{message.id}", expires_at=epoch(message.created_at + MESSAGE_TTL),
            data=dump(message), **held,
        )

    def due(self, *, now: datetime, limit: int = 100) -> list[OutboundMessage]:
        items = self.table.query("GSI2PK = :pk AND GSI2SK <= :upto", index="GSI2", page=limit, pk=HELD,
                                 upto=f"{key_time(now)}#~")
        return from_items(OutboundMessage, items, limit)

    def add(self, message: OutboundMessage) -> None:
        self.table.write(create(self._item(message), already_exists(f"Message {message.id} exists.",
                                                                     message_id=message.id)))

    def get(self, message_id: str) -> OutboundMessage | None:
        item = self.table.get(f"MESSAGE#{message_id}", "MESSAGE")
        return from_item(OutboundMessage, item) if item else None

    def save(self, message: OutboundMessage) -> None:
        missing = NotFound(f"Message {message.id} was never recorded.", message_id=message.id)
        self.table.write(Write((f"MESSAGE#{message.id}", "MESSAGE"), self._item(message), "attribute_exists(PK)",
                               lambda old: old is not None, lambda old: missing))

    def recent(self, *, now: datetime, limit: int = 50) -> list[OutboundMessage]:
        found: list[OutboundMessage] = []
        day = now.astimezone(UTC)
        for back in range(RECENT_DAYS):
            partition = f"MESSAGES#{day - timedelta(days=back):%Y-%m-%d}"
            items = self.table.query("GSI1PK = :pk AND GSI1SK <= :upto", index="GSI1", forward=False,
                                     page=limit - len(found), pk=partition, upto=f"{key_time(now)}#~")
            found += from_items(OutboundMessage, items, limit - len(found))
            if len(found) >= limit:
                break
        return found


OUTBOX = "OUTBOX"


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
