"""Where the chat model's API key comes from: OPENAI_API_KEY locally, in AWS the LLM secret (PARLEY_LLM_SECRET_ARN,
a JSON object with ``api_key``) read through Powertools parameters, only by the functions that talk to the model.
The agent reads its settings from an environment mapping; this one answers OPENAI_API_KEY from the secret."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from infra.channels import provider_secret
from infra.settings import Settings

KEY = "OPENAI_API_KEY"


class LlmEnvironment(Mapping[str, str]):
    """The process environment, with OPENAI_API_KEY taken from the LLM secret when the environment has none. The
    secret is read when the key is first asked for (the first free-text message), not on a cold start."""

    def __init__(self, settings: Settings, env: Mapping[str, str] = os.environ) -> None:
        self._settings = settings
        self._env = env

    def __getitem__(self, name: str) -> str:
        if name == KEY and not self._env.get(KEY, "").strip() and self._settings.llm_secret_arn:
            key = str(provider_secret(self._settings, "llm").get("api_key") or "").strip()
            if key:
                return key
        return self._env[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)
