"""template.yaml for the messenger channels: the webhook functions on the HTTP API with the channels layer
only, the two workers on their SQS queues with partial batch failures, dead-letter queues with redrive and
alarms, a secret per provider, and the agent layer on the conversation worker alone (besides the API)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from tests.infra.test_layers import attached_layers, functions_of
from tests.infra.test_template import (
    resources_of,
    transformed,  # noqa: F401  (the SAM-transformed template fixture)
)
from tests.infra.test_template_streams import props

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = decode_str(TEMPLATE.read_text())
    assert not problems, problems
    return decoded


WEBHOOKS = {
    "TelegramWebhookFunction": ("functions.webhooks.telegram.handler", ["/webhooks/telegram"]),
    "TwilioWebhookFunction": ("functions.webhooks.twilio.handler",
                              ["/webhooks/twilio/sms", "/webhooks/twilio/whatsapp", "/webhooks/twilio/status"]),
    "SendGridWebhookFunction": ("functions.webhooks.sendgrid.handler",
                                ["/webhooks/sendgrid/inbound", "/webhooks/sendgrid/events"]),
}


@pytest.mark.parametrize("function", sorted(WEBHOOKS))
def test_each_provider_webhook_is_routed_on_the_http_api_with_the_channels_layer_only(template, function) -> None:
    handler, paths = WEBHOOKS[function]
    settings = template["Resources"][function]["Properties"]
    assert settings["Handler"] == handler
    assert attached_layers(template, function) == ["base", "channels"]
    routes = sorted(e["Properties"]["Path"] for e in settings["Events"].values() if e["Type"] == "HttpApi")
    assert routes == sorted(paths)
    assert all(e["Properties"]["Method"] == "POST" and e["Properties"]["ApiId"] == {"Ref": "HttpApi"}
               for e in settings["Events"].values())
    assert settings["Timeout"] <= 10


def test_only_the_api_and_the_conversation_worker_attach_the_agent_layer(template) -> None:
    with_agent = sorted(name for name in functions_of(template) if "agent" in attached_layers(template, name))
    assert with_agent == ["ApiFunction", "ConversationWorkerFunction"]
    assert attached_layers(template, "ConversationWorkerFunction") == ["base", "api", "agent", "channels"]
    assert attached_layers(template, "NotifyWorkerFunction") == ["base", "channels"]


@pytest.mark.parametrize(("function", "queue", "dead_letters"), [
    ("ConversationWorkerFunction", "ConversationQueue", "ConversationDeadLetterQueue"),
    ("NotifyWorkerFunction", "NotifyQueue", "NotifyDeadLetterQueue"),
])
def test_each_worker_reads_its_fifo_queue_reports_partial_failures_and_redrives_to_an_alarmed_dlq(
    template, function, queue, dead_letters
) -> None:
    [source] = [r["Properties"] for r in resources_of(template, "AWS::Lambda::EventSourceMapping").values()
                if r["Properties"]["FunctionName"] == {"Ref": function}]
    assert source["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "Events" not in props(template, function)  # a SAM SQS event would grant the role every queue
    queue_props = template["Resources"][queue]["Properties"]
    assert queue_props["FifoQueue"] is True
    assert queue_props["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letters, "Arn"]}
    assert queue_props["RedrivePolicy"]["maxReceiveCount"] >= 3
    assert queue_props["VisibilityTimeout"] >= 6 * props(template, function)["Timeout"]
    alarms = [a["Properties"] for a in resources_of(template, "AWS::CloudWatch::Alarm").values()]
    watching = [a for a in alarms if {"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_letters, "QueueName"]}}
                in a.get("Dimensions", [])]
    assert watching and watching[0]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert watching[0]["Threshold"] == 0


def test_the_transformed_template_maps_both_queues_with_partial_batch_failures(transformed) -> None:  # noqa: F811
    mappings = [r["Properties"] for r in transformed["Resources"].values()
                if r["Type"] == "AWS::Lambda::EventSourceMapping" and "StartingPosition" not in r["Properties"]]
    assert len(mappings) == 2
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)


def test_a_secret_per_provider_with_generated_webhook_secrets_and_the_functions_told_where(template) -> None:
    secrets = resources_of(template, "AWS::SecretsManager::Secret")
    assert {"TelegramSecret", "TwilioSecret", "SendGridSecret"} <= set(secrets)
    assert secrets["TelegramSecret"]["Properties"]["GenerateSecretString"]["GenerateStringKey"] == "webhook_secret"
    assert secrets["SendGridSecret"]["Properties"]["GenerateSecretString"]["GenerateStringKey"] == "inbound_token"
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["PARLEY_TELEGRAM_SECRET_ARN"] == {"Ref": "TelegramSecret"}
    assert env["PARLEY_TWILIO_SECRET_ARN"] == {"Ref": "TwilioSecret"}
    assert env["PARLEY_SENDGRID_SECRET_ARN"] == {"Ref": "SendGridSecret"}
    assert env["PARLEY_CONVERSATION_QUEUE_URL"] == {"Ref": "ConversationQueue"}
    assert env["PARLEY_PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}
