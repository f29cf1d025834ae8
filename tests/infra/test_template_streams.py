"""The template's stream side: the Kinesis and MSK consumers with partial batch failures, bounded retries, an
on-failure destination and a lag alarm; the notify queue and its dead-letter queue; the outbox relay on the
table's stream; the sweep schedule; the signals webhook route. Stream and webhook functions attach the base
layer only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from tests.infra.test_layers import attached_layers
from tests.infra.test_template import transformed  # noqa: F401  (the SAM-transformed template fixture)

ROOT = Path(__file__).resolve().parents[2]
BASE_ONLY = {
    "KinesisConsumerFunction": "functions.streams.kinesis.handler",
    "MskConsumerFunction": "functions.streams.msk.handler",
    "OutboxRelayFunction": "functions.workers.outbox.handler",
    "SweepFunction": "functions.workers.sweep.handler",
    "SignalsWebhookFunction": "functions.webhooks.signals.handler",
}


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = decode_str((ROOT / "template.yaml").read_text())
    assert not problems, problems
    return decoded


def props(template: dict, name: str) -> dict:
    return template["Resources"][name]["Properties"]


def event(template: dict, function: str, kind: str) -> dict:
    [found] = [e["Properties"] for e in props(template, function)["Events"].values() if e["Type"] == kind]
    return found


@pytest.mark.parametrize(("function", "handler"), sorted(BASE_ONLY.items()))
def test_stream_worker_and_webhook_functions_attach_the_base_layer_only(template, function, handler) -> None:
    assert props(template, function)["Handler"] == handler
    assert attached_layers(template, function) == ["base"]
    assert (ROOT / (handler.rsplit(".", 1)[0].replace(".", "/") + ".py")).is_file()


def test_the_kinesis_consumer_reports_partial_failures_and_gives_up_into_a_queue(template) -> None:
    kinesis = event(template, "KinesisConsumerFunction", "Kinesis")
    assert kinesis["Stream"] == {"Fn::GetAtt": ["EventsStream", "Arn"]}
    assert kinesis["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert kinesis["BisectBatchOnFunctionError"] is True
    assert 0 < kinesis["MaximumRetryAttempts"] <= 10
    assert 0 < kinesis["MaximumRecordAgeInSeconds"] <= 6 * 3600
    assert kinesis["ParallelizationFactor"] == 1  # a symbol's records stay in order on their shard
    assert kinesis["DestinationConfig"] == {
        "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}}
    }
    alarm = props(template, "KinesisConsumerIteratorAgeAlarm")
    assert (alarm["MetricName"], alarm["Statistic"]) == ("IteratorAge", "Maximum")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "KinesisConsumerFunction"}}]


TOPICS = ["market-data", "trade-updates", "order-updates", "system-alerts", "compliance-events", "webhook-events"]


def test_the_msk_consumer_maps_each_topic_of_the_contract_once_in_its_own_group(template) -> None:
    """Lambda takes exactly one topic per Kafka mapping, and a consumer group id once per function."""
    parameters = template["Parameters"]
    assert {"MskClusterArn", "MskConsumerGroup", "MskAuth", "MskScramSecretArn", "MskScramKmsKeyArn"} <= set(parameters)
    assert parameters["MskAuth"]["AllowedValues"] == ["IAM", "SASL_SCRAM"]
    assert template["Resources"]["MskConsumerFunction"]["Condition"] == "HasMsk"
    mappings = [e["Properties"] for e in props(template, "MskConsumerFunction")["Events"].values()]
    assert sorted(t for m in mappings for t in m["Topics"]) == sorted(TOPICS)
    assert all(len(m["Topics"]) == 1 and m["Stream"] == {"Ref": "MskClusterArn"} for m in mappings)
    assert sorted(m["ConsumerGroupId"]["Fn::Sub"] for m in mappings) == sorted(
        "${MskConsumerGroup}-" + t for t in TOPICS)


def test_each_msk_mapping_runs_provisioned_so_its_retries_and_partial_failures_hold(template) -> None:
    for msk in (e["Properties"] for e in props(template, "MskConsumerFunction")["Events"].values()):
        assert msk["ProvisionedPollerConfig"]["MinimumPollers"] >= 1
        assert msk["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert msk["BisectBatchOnFunctionError"] is True
        assert 0 < msk["MaximumRetryAttempts"] <= 10
        assert 60 <= msk["MaximumRecordAgeInSeconds"] <= 6 * 3600
        assert msk["SourceAccessConfigurations"]["Fn::If"][0] == "MskUsesScram"
        assert msk["DestinationConfig"]["OnFailure"] == {
            "Type": "SQS", "Destination": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}}


def test_scram_lets_the_consumer_read_its_secret_and_decrypt_it_with_the_given_key_only(template) -> None:
    [statements] = [p["Statement"] for p in props(template, "MskConsumerFunction")["Policies"] if "Statement" in p]
    scram = [s["Fn::If"][1] for s in statements if "Fn::If" in s and s["Fn::If"][0] == "MskUsesScram"]
    assert {(s["Action"], s["Resource"]["Ref"]) for s in scram} == {
        ("secretsmanager:GetSecretValue", "MskScramSecretArn"), ("kms:Decrypt", "MskScramKmsKeyArn")}


def test_the_msk_vpc_endpoints_are_optional_and_take_https_from_the_cluster_only(template) -> None:
    resources = template["Resources"]
    endpoints = {n: r for n, r in resources.items() if r["Type"] == "AWS::EC2::VPCEndpoint"}
    services = {r["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1]: r["Condition"] for r in endpoints.values()}
    assert services == {"lambda": "HasMskEndpoints", "sts": "HasMskEndpoints", "sqs": "HasMskEndpoints",
                        "secretsmanager": "HasMskScramEndpoint"}
    assert template["Parameters"]["MskVpcEndpoints"]["Default"] == "false"
    group = resources["MskEndpointSecurityGroup"]["Properties"]
    assert group["SecurityGroupIngress"] == [{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "SourceSecurityGroupId": {"Ref": "MskSecurityGroupId"},
        "Description": group["SecurityGroupIngress"][0]["Description"]}]


def test_the_notify_queue_is_fifo_with_a_dead_letter_queue(template) -> None:
    queue = props(template, "NotifyQueue")
    assert queue["FifoQueue"] is True
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["NotifyDeadLetterQueue", "Arn"]}
    assert props(template, "NotifyDeadLetterQueue")["FifoQueue"] is True
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["PARLEY_NOTIFY_QUEUE_URL"] == {"Ref": "NotifyQueue"}
    assert env["PARLEY_EVENTS_STREAM"] == {"Ref": "EventsStream"}


def test_the_outbox_relay_reads_only_new_notifications_from_the_tables_stream(template) -> None:
    assert props(template, "Table")["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    stream = event(template, "OutboxRelayFunction", "DynamoDB")
    assert stream["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    [pattern] = [json.loads(f["Pattern"]) for f in stream["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT"], "dynamodb": {"Keys": {"PK": {"S": [{"prefix": "NOTIFICATION#"}]}}}}
    sample = json.loads((ROOT / "local" / "events" / "dynamodb-outbox.json").read_text())["Records"][0]
    assert sample["eventName"] == "INSERT" and sample["dynamodb"]["Keys"]["PK"]["S"].startswith("NOTIFICATION#")


def test_the_sweep_runs_every_minute_and_the_webhook_has_its_own_route(template) -> None:
    assert event(template, "SweepFunction", "ScheduleV2")["ScheduleExpression"] == "rate(1 minute)"
    route = event(template, "SignalsWebhookFunction", "HttpApi")
    assert route == {"ApiId": {"Ref": "HttpApi"}, "Path": "/webhooks/signals/{source}", "Method": "POST"}
    assert props(template, "SignalsWebhookFunction")["Timeout"] <= 3


def test_the_transformed_template_maps_each_stream_with_its_failure_handling(transformed) -> None:  # noqa: F811
    mappings = [r["Properties"] for r in transformed["Resources"].values()
                if r["Type"] == "AWS::Lambda::EventSourceMapping" and "StartingPosition" in r["Properties"]]
    assert len(mappings) == 8  # Kinesis, six MSK topics, the table's stream (the SQS queues: test_template_channels)
    for mapping in mappings:
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": ["StreamFailureQueue", "Arn"]}
