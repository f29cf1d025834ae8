"""`parley secrets set` writes a provider's keys into the deployed stack's secret, found through the stack named
in deploy/samconfig.toml (Secrets Manager under moto, CloudFormation's DescribeStacks answer recorded): the keys
given are merged into the secret's JSON, the others (the generated webhook secrets) are kept, no value printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
import respx
from aws_lambda_powertools.utilities import parameters
from botocore.stub import Stubber
from moto import mock_aws

from infra.settings import get_settings
from local import stack as local_stack
from local.cli import main
from local.stack import stack_name
from tests.channels.telegram_updates import API, TOKEN, form, me, true
from tests.functional.streams_support import fake_aws

ROOT = Path(__file__).resolve().parents[2]
TELEGRAM = {"bot_token": "", "webhook_secret": "generated-webhook-secret"}


def described(stack: str, outputs: dict[str, str]) -> dict:
    """CloudFormation's DescribeStacks answer for a deployed stack with ``outputs``."""
    return {"Stacks": [{
        "StackName": stack, "StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{stack}/1",
        "CreationTime": datetime(2026, 12, 7, tzinfo=UTC), "StackStatus": "CREATE_COMPLETE",
        "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
    }]}


def recorded_cloudformation(monkeypatch: pytest.MonkeyPatch, *answers: tuple[str, dict | str]) -> Stubber:
    client = boto3.client("cloudformation")
    stubber = Stubber(client)
    for stack, answer in answers:
        if isinstance(answer, str):
            stubber.add_client_error("describe_stacks", "ValidationError", answer, 400,
                                     expected_params={"StackName": stack})
        else:
            stubber.add_response("describe_stacks", answer, {"StackName": stack})
    stubber.activate()
    monkeypatch.setattr(local_stack, "cloudformation", lambda: client)
    return stubber


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The stack samconfig.toml names, deployed, with the secrets and outputs the template makes."""
    fake_aws(monkeypatch)
    with mock_aws():
        sm = boto3.client("secretsmanager")
        outputs = {
            "TelegramSecretArn": sm.create_secret(Name="TelegramSecret-abc", SecretString=json.dumps(TELEGRAM))["ARN"],
            "BrokerSecretArn": sm.create_secret(Name="BrokerSecret-abc",
                                                SecretString='{"unused": "x", "bob": {"api_key": "k", "secret": "s"}}'
                                                )["ARN"],
            "WebhookBaseUrl": "https://abc123.execute-api.us-east-1.amazonaws.com",
        }
        answer = (stack_name(), described(stack_name(), outputs))
        recorded_cloudformation(monkeypatch, answer, answer)  # one per command that reads the stack
        yield outputs


def secret(arn: str) -> dict:
    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def test_the_stack_name_comes_from_the_deploy_configuration() -> None:
    assert stack_name() == "parley"
    assert stack_name(env="prod") == "parley-prod"


def test_setting_the_telegram_token_merges_it_and_keeps_the_generated_webhook_secret(stack, capsys) -> None:
    assert main(["secrets", "set", "telegram", "--token", "123456:ABC-bot-token"]) == 0
    assert secret(stack["TelegramSecretArn"]) == {"bot_token": "123456:ABC-bot-token",
                                                  "webhook_secret": "generated-webhook-secret"}
    out = capsys.readouterr().out
    assert "bot_token" in out and "parley telegram setup" in out
    assert "123456:ABC-bot-token" not in out and "generated-webhook-secret" not in out


def test_broker_keys_go_under_the_account_or_venue_they_are_for(stack) -> None:
    assert main(["secrets", "set", "broker", "--for", "alpaca:paper", "--api-key", "PK1", "--secret", "S1"]) == 0
    assert secret(stack["BrokerSecretArn"]) == {
        "unused": "x", "bob": {"api_key": "k", "secret": "s"}, "alpaca:paper": {"api_key": "PK1", "secret": "S1"}}


def test_a_missing_key_is_named_and_nothing_is_written(stack, capsys) -> None:
    assert main(["secrets", "set", "telegram"]) == 2
    assert capsys.readouterr().err == "parley: parley secrets set telegram needs --token.\n"
    assert secret(stack["TelegramSecretArn"]) == TELEGRAM


def test_a_stack_that_is_not_deployed_says_to_deploy_first(monkeypatch, capsys) -> None:
    fake_aws(monkeypatch)
    recorded_cloudformation(monkeypatch, ("nowhere", "Stack with id nowhere does not exist"))
    assert main(["secrets", "set", "telegram", "--token", "t", "--stack", "nowhere"]) == 2
    assert "run `make deploy` first" in capsys.readouterr().err


def test_telegram_setup_after_secrets_set_connects_the_bot_to_the_stacks_own_url(stack, monkeypatch, capsys) -> None:
    """The three commands' last two, with nothing set locally: the token and webhook secret come from the stack's
    Telegram secret, the webhook URL from its WebhookBaseUrl output."""
    for name in ("PARLEY_TELEGRAM_BOT_TOKEN", "PARLEY_TELEGRAM_WEBHOOK_SECRET", "PARLEY_TELEGRAM_SECRET_ARN",
                 "PARLEY_PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    parameters.clear_caches()
    assert main(["secrets", "set", "telegram", "--token", TOKEN]) == 0
    with respx.mock(base_url=API, assert_all_called=False) as api:
        api.post("/getMe").mock(return_value=me())
        set_webhook = api.post("/setWebhook").mock(return_value=true())
        api.post("/setMyCommands").mock(return_value=true())
        assert main(["telegram", "setup"]) == 0
    sent = form(set_webhook.calls[0].request)
    assert (sent["url"], sent["secret_token"]) == (f"{stack['WebhookBaseUrl']}/webhooks/telegram",
                                                   TELEGRAM["webhook_secret"])
    assert "next: send `link <code>`" in capsys.readouterr().out
    parameters.clear_caches()
