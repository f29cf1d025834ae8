"""The messaging repositories: contacts (senders on the messenger channels), link codes, outbound messages,
the notification outbox and conversation turns. All but the turns take part in a unit of work."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from core.channels import Channel, Contact, LinkCode, OutboundMessage
from core.memory import ChatTurn
from core.notifications import Notification


class ContactRepository(ABC):
    """Senders on the messenger channels, keyed by (channel, address); versioned like positions."""

    @abstractmethod
    def get(self, channel: Channel, address: str) -> Contact | None: ...

    @abstractmethod
    def save(self, contact: Contact) -> Contact:
        """Insert when ``version`` is 0, else update if the stored version matches; ConcurrentUpdate otherwise."""

    @abstractmethod
    def list_for_account(self, account_id: str) -> list[Contact]:
        """The contacts linked to the account, by channel then address."""


class LinkCodeRepository(ABC):
    """One-time codes that link a sender to an account."""

    @abstractmethod
    def add(self, code: LinkCode, *, now: datetime) -> None:
        """AlreadyExists if the code is taken and unexpired at ``now``."""

    @abstractmethod
    def take(self, code: str, *, now: datetime) -> LinkCode | None:
        """Remove and return the code if it exists and has not expired; None otherwise. Atomic: two takers
        of one code never both get it."""


class MessageRepository(ABC):
    """Every outbound message, recorded before it is sent (the local outbox, and delivery status in AWS)."""

    @abstractmethod
    def add(self, message: OutboundMessage) -> None:
        """AlreadyExists if the id is taken: the message was already recorded (and maybe sent)."""

    @abstractmethod
    def get(self, message_id: str) -> OutboundMessage | None: ...

    @abstractmethod
    def save(self, message: OutboundMessage) -> None:
        """Overwrite a recorded message (its status moved on); NotFound if it was never added."""

    @abstractmethod
    def due(self, *, now: datetime, limit: int = 100) -> list[OutboundMessage]:
        """Held messages whose ``held_until`` is at or before ``now``, soonest first."""

    @abstractmethod
    def recent(self, *, now: datetime, limit: int = 50) -> list[OutboundMessage]:
        """The newest messages created at or before ``now``, newest first (DynamoDB looks a week back)."""


class NotificationRepository(ABC):
    """The notification outbox: written in the unit of the event that causes it, relayed to the notify queue."""

    @abstractmethod
    def add(self, notification: Notification) -> None:
        """Store a notification; AlreadyExists (now or at commit) if its id is taken: the event was seen."""

    @abstractmethod
    def get(self, notification_id: str) -> Notification | None: ...

    @abstractmethod
    def list_for_account(
        self, account_id: str, *, limit: int = 50, before: tuple[datetime, str] | None = None
    ) -> list[Notification]:
        """The account's notifications, newest first; ``before`` (created_at, id) keeps those listed after it."""

    @abstractmethod
    def list_unsent(self, *, limit: int = 100) -> list[Notification]:
        """Notifications the relay has not yet put on the queue, oldest first."""

    @abstractmethod
    def mark_sent(self, notification: Notification, at: datetime) -> None:
        """Record that ``notification`` is on the queue; it leaves the unsent list."""


class ConversationRepository(ABC):
    """Chat turns per (account, thread). Expired turns are never returned (DynamoDB TTL removes them)."""

    @abstractmethod
    def append(self, turn: ChatTurn) -> None:
        """Store a turn; a turn id already stored is ignored."""

    def append_many(self, turns: list[ChatTurn]) -> None:
        """Store several turns (a question and its answer); adapters may do it in one round trip."""
        for turn in turns:
            self.append(turn)

    @abstractmethod
    def recent(self, account_id: str, thread: str, *, limit: int, now: datetime) -> list[ChatTurn]:
        """The last ``limit`` unexpired turns of the thread, oldest first."""
