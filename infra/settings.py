"""Configuration: environment variables, read once into one settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_STORE_URL = "sqlite:///.parley/parley.db"


class Settings(BaseModel):
    """Every field is read from PARLEY_<FIELD>. A plain pydantic model rather than pydantic-settings: the
    latter adds about 14 ms to every cold start to read a dozen flat variables that this does in four lines."""

    model_config = ConfigDict(extra="forbid")

    store_url: str = DEFAULT_STORE_URL
    # HS256 signing secret. Locally: this variable, else a random secret kept in .parley/jwt-secret.
    # In AWS: PARLEY_JWT_SECRET_ARN names a Secrets Manager secret, read through Powertools parameters.
    jwt_secret: str | None = Field(default=None, repr=False)
    jwt_secret_arn: str | None = None
    jwt_ttl_seconds: int = 8 * 3600
    # A JSONL feed file to replay into the local platform, or "off". Empty means the shipped demo feed.
    feed: str = ""
    feed_speed: float = Field(default=1.0, gt=0)
    slippage_bps: Decimal = Decimal("0")
    demo_account: str = "demo"
    # The notify queue (an SQS queue URL) the notification relay feeds; empty: an in-process queue.
    notify_queue_url: str = ""
    # The Kinesis stream (name or ARN) accepted signals are published to; empty: handled in process.
    events_stream: str = ""
    state_dir: Path = Path(".parley")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Validated like any pydantic input: a malformed value fails here, naming the field."""
        values = {name: env[f"PARLEY_{name.upper()}"] for name in cls.model_fields if f"PARLEY_{name.upper()}" in env}
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
