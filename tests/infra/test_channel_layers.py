"""The channel functions import and answer from exactly the layers the template attaches (Base+Channels for the
webhooks and the notify worker; Base, Api, Agent and Channels for the conversation worker), with the
virtualenv's site-packages off the path. The webhooks and the notify worker load no langchain, openai or
fastapi; each function can load the provider SDKs it sends or verifies with. Offline."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from tests.infra.handler_probe import run_handler
from tests.infra.test_layers import attached_layers

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "local" / "events"
HEAVY = ("langchain", "langchain_core", "langchain_openai", "openai", "fastapi", "starlette", "mangum")
SENDERS = ("channels.telegram.sender", "channels.twilio.sender", "channels.sendgrid.sender", "telegram", "twilio.rest",
           "sendgrid")


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = decode_str((ROOT / "template.yaml").read_text())
    assert not problems, problems
    return decoded


def webhook_event(path: str) -> str:
    """An unsigned POST to ``path``: every provider's webhook must refuse it, and must import to do so."""
    event = copy.deepcopy(json.loads((ROOT / "tests" / "events" / "apigw_http_v2.json").read_text()))
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["routeKey"] = event["requestContext"]["routeKey"] = f"POST {path}"
    event["requestContext"]["http"]["method"] = "POST"
    event["body"], event["isBase64Encoded"] = "{}", False
    return json.dumps(event)


@pytest.mark.parametrize(("function", "path", "verifier"), [
    ("TelegramWebhookFunction", "/webhooks/telegram", "telegram"),
    ("TwilioWebhookFunction", "/webhooks/twilio/sms", "twilio.request_validator"),
    ("SendGridWebhookFunction", "/webhooks/sendgrid/events", "sendgrid.helpers.eventwebhook"),
])
def test_each_webhook_refuses_an_unsigned_request_from_base_and_channels_alone(template, tmp_path, function, path,
                                                                              verifier) -> None:
    layers = attached_layers(template, function)
    assert layers == ["base", "channels"]
    handler = template["Resources"][function]["Properties"]["Handler"].rsplit(".", 1)[0]
    result = run_handler(tmp_path, handler, layers, webhook_event(path), also_imports=(verifier,))
    assert result["response"]["statusCode"] in (401, 403)
    loaded = result["loaded"]
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
    assert not [m for m in loaded if m == "local" or m.startswith("local.")]


def test_the_notify_worker_runs_and_can_send_on_every_channel_from_base_and_channels(template, tmp_path) -> None:
    layers = attached_layers(template, "NotifyWorkerFunction")
    assert layers == ["base", "channels"]
    result = run_handler(tmp_path, "functions.workers.notify", layers, (EVENTS / "sqs-notify.json").read_text(),
                         also_imports=SENDERS)
    assert result["response"] == {"batchItemFailures": []}
    assert not [m for m in result["loaded"] if m.split(".")[0] in HEAVY]


def test_the_conversation_worker_answers_from_its_four_layers(template, tmp_path) -> None:
    layers = attached_layers(template, "ConversationWorkerFunction")
    assert layers == ["base", "api", "agent", "channels"]
    result = run_handler(tmp_path, "functions.workers.conversation", layers,
                         (EVENTS / "sqs-conversation.json").read_text(),
                         also_imports=(*SENDERS, "agent.llm", "langchain_openai"))
    assert result["response"] == {"batchItemFailures": []}
