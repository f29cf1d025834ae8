"""Configuration: environment variables, read once into one settings object."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STORE_URL = "sqlite:///.parley/parley.db"
SHIPPED_FEED = Path(__file__).parent / "feeds" / "demo-quotes.jsonl"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

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
    state_dir: Path = Path(".parley")

    @property
    def feed_path(self) -> Path | None:
        if self.feed.strip().lower() == "off":
            return None
        return Path(self.feed) if self.feed.strip() else SHIPPED_FEED


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
