"""The notify queue on SQS. A FIFO queue (URL ending .fifo) keeps each trader's notifications in order
(MessageGroupId: the account) and drops a repeat within five minutes (MessageDeduplicationId: the id)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core.channels import Inbound
from core.errors import StoreError
from core.notifications import Notification
from core.ports.channel import InboundQueue
from core.ports.queue import NotifyQueue

MAX_BATCH = 10  # SendMessageBatch takes at most ten entries


class _SqsQueue:
    """One queue URL and the SQS client, built on first use."""

    def __init__(self, url: str, client: Any = None) -> None:
        self._client = client
        self.url = url
        self.fifo = url.endswith(".fifo")

    @property
    def client(self) -> Any:
        """Built on first use: most functions that hold the queue never send (a cold start pays nothing)."""
        if self._client is None:
            from infra import aws  # imports boto3: only once something is sent

            self._client = aws.client("sqs")
        return self._client


class SqsNotifyQueue(_SqsQueue, NotifyQueue):
    def send(self, notifications: list[Notification], *, again: str = "") -> list[str]:
        accepted: list[str] = []
        for start in range(0, len(notifications), MAX_BATCH):
            chunk = notifications[start : start + MAX_BATCH]
            entries = [self._entry(str(i), n, again) for i, n in enumerate(chunk)]
            try:
                response = self.client.send_message_batch(QueueUrl=self.url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                raise StoreError(f"SQS send_message_batch failed: {type(exc).__name__}") from exc
            accepted += [chunk[int(ok["Id"])].id for ok in response.get("Successful", [])]
        return accepted

    def _entry(self, entry_id: str, notification: Notification, again: str = "") -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Id": entry_id,
            "MessageBody": json.dumps(notification.message()),
            "MessageAttributes": {"kind": {"DataType": "String", "StringValue": notification.kind.value}},
        }
        if self.fifo:
            entry |= {"MessageGroupId": notification.account_id,
                      "MessageDeduplicationId": _dedup_id(notification.id, again)}
        return entry


class SqsInboundQueue(_SqsQueue, InboundQueue):
    """The conversation queue. On a FIFO queue each sender's messages are answered in order (MessageGroupId:
    the thread, so "buy 10 AAPL" is staged before its "yes 4821" is read) and a repeat within five minutes
    is dropped (MessageDeduplicationId: a digest of the provider's dedup key, which may be longer than 128)."""

    def send(self, inbound: Inbound) -> None:
        request: dict[str, Any] = {"QueueUrl": self.url, "MessageBody": inbound.model_dump_json()}
        if self.fifo:
            request |= {"MessageGroupId": _digest(inbound.thread), "MessageDeduplicationId": _digest(inbound.id)}
        try:
            self.client.send_message(**request)
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"SQS send_message failed: {type(exc).__name__}") from exc


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _dedup_id(notification_id: str, again: str) -> str:
    """The notification's id, or for a deliberate second round a digest of it and ``again`` (at most 128)."""
    return _digest(f"{notification_id}/{again}") if again else notification_id
