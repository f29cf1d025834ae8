"""Configuration: environment variables, read once into one settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

STATE = ".parley"  # the folder under PARLEY_HOME that keeps the local store and the JWT secret


def project_root() -> Path | None:
    """The checkout this code runs from (an editable install, or the repository itself), if it is one."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "local").is_dir() else None


def default_home() -> Path:
    """Where the local platform keeps its state when PARLEY_HOME is not set: the project root of a checkout,
    else the user's data directory ($XDG_DATA_HOME/parley, or ~/.local/share/parley). Never the current
    directory, so every `parley` command finds the same store and secret wherever it is run from."""
    root = project_root()
    if root is not None:
        return root
    data = os.environ.get("XDG_DATA_HOME")
    try:
        return Path(data) / "parley" if data else Path.home() / ".local" / "share" / "parley"
    except RuntimeError:  # no home directory to be found (some sandboxes): fall back to the current one
        return Path.cwd()


class Settings(BaseModel):
    """Every field is read from PARLEY_<FIELD>. A plain pydantic model rather than pydantic-settings: the
    latter adds about 14 ms to every cold start to read a dozen flat variables that this does in four lines."""

    model_config = ConfigDict(extra="forbid")

    # PARLEY_HOME: the folder that holds .parley/ (the SQLite store and the local JWT secret).
    home: Path = Field(default_factory=default_home)
    # Empty means sqlite:///<home>/.parley/parley.db.
    store_url: str = ""
    # HS256 signing secret. Locally: this variable, else a random secret kept in .parley/jwt-secret.
    # In AWS: PARLEY_JWT_SECRET_ARN names a Secrets Manager secret, read through Powertools parameters.
    jwt_secret: str | None = Field(default=None, repr=False)
    jwt_secret_arn: str | None = None
    jwt_ttl_seconds: int = Field(default=8 * 3600, gt=0)
    # The longest a token may live: one whose exp lies further ahead is refused, however it was signed.
    jwt_max_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    # A JSONL feed file to replay into the local platform, or "off". Empty means the shipped demo feed.
    feed: str = ""
    feed_speed: float = Field(default=1.0, gt=0)
    slippage_bps: Decimal = Decimal("0")
    demo_account: str = "demo"
    # Trading hours: "exchange" (each market keeps its own) or "always-open", a demo setting that opens every
    # market at any hour so the local platform can be tried on a weekend. Never set it in AWS.
    calendar: str = Field(default="exchange", pattern="^(exchange|always-open)$")
    # The notify queue (an SQS queue URL) the notification relay feeds; empty: an in-process queue.
    notify_queue_url: str = ""
    # The Kinesis stream (name or ARN) accepted signals are published to; empty: handled in process.
    events_stream: str = ""
    # Real venues (see infra/brokers/config.py): which accounts trade where, as ACCOUNT=VENUE:ENVIRONMENT pairs
    # separated by commas ("alice=alpaca:paper,bob=binance:sandbox"); an account not named trades on paper.
    broker_accounts: str = ""
    # Venue credentials as JSON keyed by account id or by venue ("alpaca:paper"); locally from this variable,
    # in AWS from the Secrets Manager secret PARLEY_BROKER_SECRET_ARN (read with Powertools parameters).
    broker_credentials: str | None = Field(default=None, repr=False)
    broker_secret_arn: str | None = None
    # The Lambda function that holds the venue adapters; functions without them reach venues through it.
    broker_function: str = ""
    # The platform's half of the live-trading switch; each account also needs its admin-set flag.
    live_trading: bool = False
    # The chat model's key: OPENAI_API_KEY locally; in AWS the Secrets Manager secret this names ({"api_key": ...}),
    # handed to the API and the conversation worker only (infra/llm.py).
    llm_secret_arn: str | None = None
    # Messenger channels (README "Channels"). The conversation queue (an SQS FIFO queue URL) the webhooks feed;
    # empty: an in-process queue answered on a worker thread.
    conversation_queue_url: str = ""
    # The public HTTPS base of the deployed API ("https://abc.execute-api.eu-west-1.amazonaws.com"): Twilio
    # signs the URL it posted to, so the webhook rebuilds it from this and the request path.
    public_base_url: str = ""
    # Provider credentials: locally from these variables; in AWS each provider's values are the JSON of one
    # Secrets Manager secret (PARLEY_<PROVIDER>_SECRET_ARN, keys named like these fields without the prefix).
    telegram_bot_token: str | None = Field(default=None, repr=False)
    telegram_webhook_secret: str | None = Field(default=None, repr=False)
    telegram_secret_arn: str | None = None
    twilio_account_sid: str = ""
    twilio_auth_token: str | None = Field(default=None, repr=False)
    twilio_sms_from: str = ""  # a number ("+15550001111") or a Messaging Service SID ("MG...")
    twilio_whatsapp_from: str = ""  # "whatsapp:+15550001111"
    twilio_whatsapp_template_sid: str = ""  # an approved ContentSid for messages outside the 24 h window
    twilio_secret_arn: str | None = None
    sendgrid_api_key: str | None = Field(default=None, repr=False)
    sendgrid_from_email: str = ""
    sendgrid_inbound_token: str | None = Field(default=None, repr=False)
    sendgrid_event_public_key: str = ""  # the Event Webhook's verification key (base64 ECDSA public key)
    sendgrid_inbound_public_key: str = ""  # Inbound Parse's security policy key, where one is configured
    sendgrid_secret_arn: str | None = None
    # Empty means <home>/.parley.
    state_dir: Path | None = None

    @model_validator(mode="after")
    def _under_home(self) -> Settings:
        if self.state_dir is None:
            self.state_dir = self.home / STATE
        if not self.store_url:
            self.store_url = f"sqlite:///{self.state_dir / 'parley.db'}"
        if self.jwt_ttl_seconds > self.jwt_max_ttl_seconds:
            raise ValueError("PARLEY_JWT_TTL_SECONDS is longer than PARLEY_JWT_MAX_TTL_SECONDS.")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Validated like any pydantic input: a malformed value fails here, naming the field."""
        values = {name: env[f"PARLEY_{name.upper()}"] for name in cls.model_fields if f"PARLEY_{name.upper()}" in env}
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
