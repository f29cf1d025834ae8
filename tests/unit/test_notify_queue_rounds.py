"""The notify queue on SQS FIFO takes a notification once per round: a repeat within the deduplication
interval is dropped, but a deliberate second round (``again``, a channel that failed later) goes."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from moto import mock_aws

from core.notifications import Notification, NotificationKind
from infra.queues.sqs import SqsNotifyQueue


@mock_aws
def test_a_repeat_is_dropped_but_a_named_second_round_is_taken_once() -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="notify.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    queue = SqsNotifyQueue(url, client=sqs)
    notification = Notification(id="N1", account_id="alice", kind=NotificationKind.FILL, text="Filled",
                                created_at=datetime(2026, 11, 27, 15, tzinfo=UTC))

    queue.send([notification])
    queue.send([notification])
    queue.send([notification], again="whatsapp-message")
    queue.send([notification], again="whatsapp-message")

    taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(taken) == 2
