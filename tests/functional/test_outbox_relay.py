"""The outbox relay fed the table's DynamoDB stream record of a new notification: the notification goes on the
notify queue (SQS FIFO under moto) once and is marked sent; when the queue cannot take it, the record comes
back as a batch item failure and stays unsent; the sweep relays what was left behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from core.notifications import Notification
from infra.stores.codec import load as load_record
from tests.functional.streams_support import call, fake_aws, load, sample


@pytest.fixture
def relay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    fake_aws(monkeypatch)
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="parley-notify.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        module = load(monkeypatch, "functions.workers.outbox", f"sqlite:///{tmp_path / 'p.db'}",
                      PARLEY_NOTIFY_QUEUE_URL=url)
        event = sample("dynamodb-outbox.json")
        notification = load_record(Notification, event["Records"][0]["dynamodb"]["NewImage"]["data"]["S"])
        module.platform.store.notifications.add(notification)
        yield {"module": module, "sqs": sqs, "url": url, "event": event, "notification": notification}
        module.platform.store.close()


def received(sqs, url: str) -> list[dict]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_new_notification_goes_on_the_queue_once_and_is_marked_sent(relay) -> None:
    module, event, notification = relay["module"], relay["event"], relay["notification"]
    assert call(module, event) == {"batchItemFailures": []}
    assert call(module, event) == {"batchItemFailures": []}  # the stream delivered it twice
    assert received(relay["sqs"], relay["url"]) == [notification.message()]
    assert module.platform.store.notifications.list_unsent() == []


def test_records_that_are_not_unsent_notifications_are_ignored(relay) -> None:
    module, event = relay["module"], relay["event"]
    other = json.loads(json.dumps(event))
    other["Records"][0]["dynamodb"]["NewImage"]["PK"] = {"S": "ORDER#9KX2M4TQ7B"}
    sent = json.loads(json.dumps(event))
    del sent["Records"][0]["dynamodb"]["NewImage"]["GSI2PK"]
    assert call(module, {"Records": other["Records"] + sent["Records"]}) == {"batchItemFailures": []}
    assert received(relay["sqs"], relay["url"]) == []


def test_when_the_queue_is_gone_the_record_is_retried_and_the_sweep_catches_up(relay, monkeypatch, tmp_path) -> None:
    module, event, sqs = relay["module"], relay["event"], relay["sqs"]
    sqs.delete_queue(QueueUrl=relay["url"])
    sequence = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert call(module, event) == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    assert [n.id for n in module.platform.store.notifications.list_unsent()] == [relay["notification"].id]

    url = sqs.create_queue(QueueName="parley-notify.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sweep = load(monkeypatch, "functions.workers.sweep", f"sqlite:///{tmp_path / 'p.db'}", PARLEY_NOTIFY_QUEUE_URL=url)
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event"}
    assert call(sweep, scheduled) == {"relayed": 1, "released": 0}
    assert call(sweep, scheduled) == {"relayed": 0, "released": 0}
    assert received(sqs, url) == [relay["notification"].message()]
    sweep.platform.store.close()
