"""Which venue each account trades on, and its credentials: from configuration and Secrets Manager only.

``PARLEY_BROKER_ACCOUNTS`` names accounts that trade on a real venue, one ``ACCOUNT=VENUE:ENVIRONMENT`` pair
each, separated by commas: ``alice=alpaca:paper,bob=binance:sandbox,carol=alpaca:live``. Venues: ``alpaca``
(paper or live) and any CCXT exchange id (sandbox or live). An account not named trades on Parley's paper broker.

Credentials are a JSON object keyed by account id, or by venue for every account on it:
``{"alice": {"api_key": "...", "secret": "..."}, "binance:sandbox": {"api_key": "...", "secret": "..."}}``,
from ``PARLEY_BROKER_CREDENTIALS`` locally or the Secrets Manager secret ``PARLEY_BROKER_SECRET_ARN`` in AWS.
Nothing here is ever read from a chat message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from core.errors import ParleyError
from core.instruments import InstrumentCatalog
from core.ports.venue import VenueBroker
from core.venues import Environment, Venue
from infra.secrets import SECRET_MAX_AGE_SECONDS
from infra.settings import Settings

ALPACA = "alpaca"


class BrokerConfigError(ParleyError):
    code = "broker_config"


def parse_accounts(text: str) -> dict[str, Venue]:
    """``alice=alpaca:paper,bob=binance:sandbox`` as {account id: venue}; a malformed entry raises, naming it."""
    venues: dict[str, Venue] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        account, _, spec = entry.partition("=")
        name, _, environment = spec.strip().partition(":")
        account, name = account.strip(), name.strip().lower()
        if not account or not name or not environment:
            raise BrokerConfigError(f"PARLEY_BROKER_ACCOUNTS entry {entry!r} is not ACCOUNT=VENUE:ENVIRONMENT.")
        try:
            venue = Venue(name=name, environment=Environment(environment.strip().lower()))
        except ValueError:
            raise BrokerConfigError(
                f"PARLEY_BROKER_ACCOUNTS entry {entry!r}: the environment is paper, sandbox or live."
            ) from None
        if name == "paper" and venue.environment is not Environment.PAPER:
            raise BrokerConfigError(f"PARLEY_BROKER_ACCOUNTS entry {entry!r}: Parley's paper broker is only paper.")
        venues[account] = venue
    return venues


def credentials(settings: Settings, account_id: str, venue: Venue) -> dict[str, str]:
    """The account's own credentials, else its venue's."""
    table = _credential_table(settings)
    found = table.get(account_id) or table.get(str(venue))
    if not isinstance(found, dict) or not found.get("api_key") or not found.get("secret"):
        raise BrokerConfigError(f"No {venue} credentials for account {account_id} (api_key and secret).",
                                account_id=account_id)
    return found


def _credential_table(settings: Settings) -> dict[str, Any]:
    if settings.broker_credentials:
        raw: Any = settings.broker_credentials
    elif settings.broker_secret_arn:
        from aws_lambda_powertools.utilities import parameters  # imports boto3: only on this path

        raw = parameters.get_secret(settings.broker_secret_arn, max_age=SECRET_MAX_AGE_SECONDS)
    else:
        return {}
    try:
        table = json.loads(raw)
    except (TypeError, ValueError):
        raise BrokerConfigError("The broker credentials are not a JSON object.") from None
    if not isinstance(table, dict):
        raise BrokerConfigError("The broker credentials are not a JSON object.")
    return table


def venue_broker(
    venue: Venue, secrets: dict[str, str], catalog: InstrumentCatalog, clock: Callable[[], datetime]
) -> VenueBroker:
    """The adapter for ``venue``, imported only when an account on it is first served (alpaca-py and CCXT are
    heavy, and only the functions that hold the brokers layer have them)."""
    if venue.name == ALPACA:
        from infra.brokers.alpaca import AlpacaBroker

        return AlpacaBroker(api_key=secrets["api_key"], secret_key=secrets["secret"], environment=venue.environment,
                            catalog=catalog, clock=clock)
    from infra.brokers.exchange import ExchangeBroker

    return ExchangeBroker(venue.name, api_key=secrets["api_key"], secret=secrets["secret"],
                          environment=venue.environment, catalog=catalog, clock=clock)
