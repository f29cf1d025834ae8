"""Building the LLM agent from the environment: no key no agent, settings with defaults, no network, lazy imports."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from agent.llm import LlmAgent, build_llm_agent, llm_settings_from_env
from tests.agent.llm_support import service as service  # fixture

ROOT = Path(__file__).resolve().parents[2]


def test_no_key_means_no_agent(service) -> None:
    assert build_llm_agent(service, env={}) is None
    assert llm_settings_from_env({"OPENAI_API_KEY": "  "}) is None


def test_settings_come_from_the_environment_with_defaults() -> None:
    settings = llm_settings_from_env({"OPENAI_API_KEY": "sk-test", "PARLEY_LLM_TIMEOUT": "7.5",
                                      "PARLEY_LLM_MAX_TOOL_CALLS": "3"})
    assert (settings.model, settings.base_url, settings.timeout_seconds, settings.max_tool_calls) == (
        "gpt-4o-mini", None, 7.5, 3
    )
    assert "sk-test" not in repr(settings)


def test_an_agent_is_built_from_the_environment_without_touching_the_network(service, monkeypatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("network used while building the agent")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    env = {"OPENAI_API_KEY": "sk-test", "PARLEY_LLM_MODEL": "x", "PARLEY_LLM_BASE_URL": "http://127.0.0.1:9/v1"}
    bot = build_llm_agent(service, env=env)
    assert isinstance(bot, LlmAgent)
    assert (bot.model.model_name, bot.model.openai_api_base, bot.model.max_retries) == ("x", "http://127.0.0.1:9/v1", 1)
    assert bot.model.request_timeout == 20.0
    assert (bot.max_tool_calls, bot.timeout_seconds) == (6, 25.0)
    assert bot.model.openai_api_key.get_secret_value() == "sk-test"


def test_importing_the_agent_package_and_its_prompts_loads_no_llm_library() -> None:
    probe = (
        "import sys, agent, agent.prompts; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('langchain', 'langchain_core', 'openai')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
