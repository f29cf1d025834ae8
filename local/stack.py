"""The deployed stack as the CLI sees it: its name (deploy/samconfig.toml), its outputs (CloudFormation) and the
provider secrets it made, written with boto3. `parley secrets set` merges the given keys into a provider's secret
JSON and leaves the others (the generated webhook secrets among them) as they are; values are never printed."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import InvalidRequest
from infra.settings import project_root

SAMCONFIG = Path("deploy") / "samconfig.toml"


@dataclass(frozen=True)
class Provider:
    output: str  # the stack output that names the provider's secret
    keys: dict[str, str]  # CLI option (without --) -> the secret's JSON key
    required: tuple[str, ...] = ()


PROVIDERS = {
    "telegram": Provider("TelegramSecretArn", {"token": "bot_token"}, required=("token",)),
    "twilio": Provider("TwilioSecretArn", {"account_sid": "account_sid", "auth_token": "auth_token"}),
    "sendgrid": Provider("SendGridSecretArn", {"api_key": "api_key", "event_public_key": "event_public_key",
                                               "inbound_public_key": "inbound_public_key"}),
    "llm": Provider("LlmSecretArn", {"api_key": "api_key"}, required=("api_key",)),
    # Venue credentials under one entry, keyed by account id or venue ("alpaca:paper"): infra/brokers/config.py.
    "broker": Provider("BrokerSecretArn", {"api_key": "api_key", "secret": "secret"}, required=("api_key", "secret")),
}


def stack_name(config: Path | None = None, env: str = "default") -> str:
    """``stack_name`` of ``env`` in deploy/samconfig.toml (the deploy's own configuration)."""
    path = config or ((project_root() or Path.cwd()) / SAMCONFIG)
    try:
        parsed = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidRequest(f"Cannot read the stack name from {path} ({exc}); pass --stack.") from None
    for section in ("global", "deploy"):
        name = parsed.get(env, {}).get(section, {}).get("parameters", {}).get("stack_name")
        if name:
            return str(name)
    raise InvalidRequest(f"{path} names no stack_name for the {env!r} environment; pass --stack.")


def stack_outputs(stack: str, client: Any = None) -> dict[str, str]:
    """The stack's outputs by key. InvalidRequest when the stack is not there (not deployed, another region)."""
    from botocore.exceptions import ClientError

    client = client or cloudformation()
    try:
        [found] = client.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        raise InvalidRequest(f"No stack {stack!r} here ({exc.response['Error']['Message']}); run `make deploy` "
                             "first, with the same AWS region.") from None
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def cloudformation() -> Any:
    import boto3  # the CLI's AWS commands only

    return boto3.client("cloudformation")


def set_secret(provider: str, given: dict[str, str | None], outputs: dict[str, str], *, entry: str | None = None,
               client: Any = None) -> tuple[str, list[str]]:
    """Merge ``given`` (CLI option -> value; None means not given) into the provider's secret. For the broker the
    keys go under ``entry`` (an account id or a venue). Returns the secret's ARN and the JSON keys written."""
    import boto3

    spec = PROVIDERS[provider]
    values = {spec.keys[option]: value for option, value in given.items() if value}
    missing = [option_name(o) for o in spec.required if not given.get(o)]
    if missing:
        raise InvalidRequest(f"parley secrets set {provider} needs {' and '.join(missing)}.")
    if not values:
        raise InvalidRequest(f"parley secrets set {provider} needs one of {', '.join(map(option_name, spec.keys))}.")
    if provider == "broker" and not entry:
        raise InvalidRequest("parley secrets set broker needs --for ACCOUNT or --for VENUE:ENVIRONMENT (alpaca:paper).")
    arn = outputs.get(spec.output)
    if not arn:
        raise InvalidRequest(f"The stack has no {spec.output} output; deploy this version of the template first.")
    client = client or boto3.client("secretsmanager")
    current = _secret_json(client, arn)
    if entry:
        kept = current.get(entry) if isinstance(current.get(entry), dict) else {}
        current[entry] = {**kept, **values}
        written = [f"{entry}.{key}" for key in values]
    else:
        current.update(values)
        written = list(values)
    client.put_secret_value(SecretId=arn, SecretString=json.dumps(current))
    return arn, written


def option_name(option: str) -> str:
    return "--" + option.replace("_", "-")


def _secret_json(client: Any, arn: str) -> dict[str, Any]:
    raw = client.get_secret_value(SecretId=arn).get("SecretString") or "{}"
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidRequest(f"The secret {arn} does not hold a JSON object; fix it in the console first.")
    return value
