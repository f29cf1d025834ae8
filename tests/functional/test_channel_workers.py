"""The channel workers fed SQS events in the shape Lambda hands them (local/events/sqs-*.json): each record
handled once, partial batch failures reported (on the FIFO conversation queue the rest of a failed sender's
group too), poison records dropped; and the webhook-to-worker path through a real (moto) SQS FIFO queue."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from core.channels import Channel, Contact, Inbound, MessageStatus
from core.usecases.messaging import inbox
from tests.functional.streams_support import call, fake_aws, load, on_clock, sample, seed
from tests.support import Clock


@pytest.fixture
def conversation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    module = load(monkeypatch, "functions.workers.conversation", f"sqlite:///{tmp_path / 'p.db'}")
    module.worker.platform = on_clock(module.worker.platform, Clock())
    seed(module.worker.platform)
    yield module
    module.worker.platform.store.close()


def records(event: dict, *bodies: dict, groups: tuple[str, ...] = ()) -> dict:
    """``event``'s first record once per body (its own message id, and group if given)."""
    first = event["Records"][0]
    out = []
    for i, body in enumerate(bodies):
        record = copy.deepcopy(first)
        record["messageId"] = f"{first['messageId'][:-4]}{i:04d}"
        record["body"] = json.dumps(body)
        if groups:
            record["attributes"]["MessageGroupId"] = groups[i]
        out.append(record)
    return {"Records": out}


def test_a_message_from_a_linked_chat_is_answered_on_its_channel_once(conversation) -> None:
    platform = conversation.worker.platform
    platform.store.contacts.save(Contact(channel=Channel.TELEGRAM, address="424242", account_id="alice"))
    event = sample("sqs-conversation.json")
    assert call(conversation, event) == {"batchItemFailures": []}
    assert call(conversation, event) == {"batchItemFailures": []}  # SQS delivered it twice
    sent = platform.store.messages.recent(now=platform.deps.now())
    assert len(sent) == 1 and sent[0].channel is Channel.TELEGRAM and sent[0].to == "424242"
    assert sent[0].text == "You have no open positions." and sent[0].status is MessageStatus.LOCAL


def test_a_poison_record_is_dropped_and_the_rest_answered(conversation) -> None:
    event = sample("sqs-conversation.json")
    good = json.loads(event["Records"][0]["body"])
    batch = records(event, {"not": "an inbound message"}, good)
    assert call(conversation, batch) == {"batchItemFailures": []}
    assert len(conversation.worker.platform.store.messages.recent(now=conversation.worker.platform.deps.now())) == 1


def test_a_failed_message_fails_the_rest_of_its_senders_group_but_not_other_senders(conversation, monkeypatch) -> None:
    event = sample("sqs-conversation.json")
    first = json.loads(event["Records"][0]["body"])
    later = first | {"id": "telegram:700000002", "text": "orders"}
    other = first | {"id": "telegram:700000003", "sender": "515151"}
    real_answer = inbox.answer

    def broken_for_the_first(deps, senders, message, *args):
        if message.id == first["id"]:
            raise RuntimeError("the store went away")
        return real_answer(deps, senders, message, *args)

    monkeypatch.setattr("functions.workers.channels.answer_message", broken_for_the_first)
    batch = records(event, first, later, other, groups=("g-424242", "g-424242", "g-515151"))
    failed = [f["itemIdentifier"] for f in call(conversation, batch)["batchItemFailures"]]
    ids = [r["messageId"] for r in batch["Records"]]
    assert failed == ids[:2]  # the failed one and the one after it from the same sender; not the other sender


def test_the_notify_worker_delivers_a_notification_and_reports_one_it_could_not(tmp_path, monkeypatch) -> None:
    module = load(monkeypatch, "functions.workers.notify", f"sqlite:///{tmp_path / 'p.db'}")
    platform = module.worker.platform = on_clock(module.worker.platform, Clock())
    seed(platform)
    platform.store.contacts.save(Contact(channel=Channel.SMS, address="+15550001111", account_id="alice"))
    event = sample("sqs-notify.json")
    assert call(module, event) == {"batchItemFailures": []}
    sent = platform.store.messages.recent(now=platform.deps.now())
    assert [(m.channel, m.to, m.text) for m in sent] == [
        (Channel.SMS, "+15550001111", "Filled: BUY 10 AAPL at 190.02 (order 7F3K2QW9ZX, 10 of 10)")]
    platform.senders.clear()  # no channel can send now (AWS with no provider configured)
    failing = records(event, json.loads(event["Records"][0]["body"]) | {"id": "OTHERNOTE0000001"})
    assert call(module, failing) == {"batchItemFailures": [{"itemIdentifier": failing["Records"][0]["messageId"]}]}
    platform.store.close()


def test_a_webhook_accepted_message_crosses_a_real_fifo_queue_to_the_worker(tmp_path, monkeypatch) -> None:
    fake_aws(monkeypatch)
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="parley-conversation.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        module = load(monkeypatch, "functions.workers.conversation", f"sqlite:///{tmp_path / 'p.db'}",
                      PARLEY_CONVERSATION_QUEUE_URL=url)
        platform = module.worker.platform = on_clock(module.worker.platform, Clock())
        seed(platform)
        platform.store.contacts.save(Contact(channel=Channel.TELEGRAM, address="424242", account_id="alice"))
        message = Inbound.model_validate_json(sample("sqs-conversation.json")["Records"][0]["body"])
        assert inbox.accept(platform.deps, module.build_platform().inbox, message)
        assert not inbox.accept(platform.deps, module.build_platform().inbox, message)  # a provider's retry
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       AttributeNames=["All"]).get("Messages", [])
        assert len(received) == 1
        assert received[0]["Attributes"]["MessageGroupId"] != received[0]["Attributes"]["MessageDeduplicationId"]
        event = records(sample("sqs-conversation.json"), json.loads(received[0]["Body"]))
        assert call(module, event) == {"batchItemFailures": []}
        assert platform.store.messages.recent(now=platform.deps.now())[0].to == "424242"
        platform.store.close()
