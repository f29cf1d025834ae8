"""The chat model's key in AWS comes from the LLM secret, never a plaintext environment variable; locally
OPENAI_API_KEY still works, and wins over the secret."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from agent.llm import llm_settings_from_env
from infra.bootstrap import build_platform
from infra.llm import LlmEnvironment
from infra.settings import Settings
from infra.stores.memory import MemoryStore
from tests.functional.streams_support import fake_aws


@pytest.fixture
def llm_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    fake_aws(monkeypatch)
    parameters.clear_caches()
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(
            Name="parley-llm", SecretString=json.dumps({"api_key": "sk-from-the-secret"}))["ARN"]
        yield arn
    parameters.clear_caches()


def test_the_model_key_is_read_from_the_llm_secret_when_the_environment_has_none(llm_secret, tmp_path) -> None:
    env = LlmEnvironment(Settings(home=tmp_path, llm_secret_arn=llm_secret), env={"PARLEY_LLM_MODEL": "gpt-x"})
    settings = llm_settings_from_env(env)
    assert settings is not None
    assert (settings.api_key.get_secret_value(), settings.model) == ("sk-from-the-secret", "gpt-x")


def test_a_local_openai_api_key_wins_over_the_secret(llm_secret, tmp_path) -> None:
    env = LlmEnvironment(Settings(home=tmp_path, llm_secret_arn=llm_secret), env={"OPENAI_API_KEY": "sk-local"})
    assert env["OPENAI_API_KEY"] == "sk-local"


def test_without_a_key_or_a_secret_there_is_no_model(tmp_path) -> None:
    assert llm_settings_from_env(LlmEnvironment(Settings(home=tmp_path), env={})) is None


def test_an_empty_secret_means_no_model_not_an_error(monkeypatch, tmp_path) -> None:
    fake_aws(monkeypatch)
    parameters.clear_caches()
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(Name="empty", SecretString='{"api_key": ""}')["ARN"]
        assert llm_settings_from_env(LlmEnvironment(Settings(home=tmp_path, llm_secret_arn=arn), env={})) is None
    parameters.clear_caches()


def test_the_platforms_conversation_builds_its_model_from_the_secret(llm_secret, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    platform = build_platform(Settings(home=tmp_path, llm_secret_arn=llm_secret), store=MemoryStore(), secret="s")
    assert platform.language.built.conversation._llm_agent() is not None
