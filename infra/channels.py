"""Which sender each channel gets: the provider's adapter when its credentials are configured, else (outside
Lambda) the local outbox. Credentials come from PARLEY_* variables or, in AWS, from one Secrets Manager secret
per provider (PARLEY_<PROVIDER>_SECRET_ARN, a JSON object), read through Powertools parameters."""

from __future__ import annotations

import os
from typing import Any

from core.channels import Channel
from core.ports.channel import Sender
from infra.secrets import SECRET_MAX_AGE_SECONDS
from infra.settings import Settings

TWILIO_STATUS_PATH = "/webhooks/twilio/status"  # Twilio posts each sent message's later statuses here


def credential(settings: Settings, provider: str, name: str) -> str:
    """PARLEY_<PROVIDER>_<NAME>, else the key ``name`` of the provider's secret, else ""."""
    value = getattr(settings, f"{provider}_{name}", None)
    if value:
        return str(value)
    return str(provider_secret(settings, provider).get(name) or "")


def provider_secret(settings: Settings, provider: str) -> dict[str, Any]:
    arn = getattr(settings, f"{provider}_secret_arn", None)
    if not arn:
        return {}
    from aws_lambda_powertools.utilities import parameters  # imports boto3: only where a secret is named

    value = parameters.get_secret(arn, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    return value if isinstance(value, dict) else {}


def build_senders(settings: Settings) -> dict[Channel, Sender]:
    """One sender per channel that can send: a configured provider, or locally the outbox. In Lambda a channel
    with no credentials gets none, so its messages fail over to the trader's next channel."""
    senders: dict[Channel, Sender] = {}
    for channel in Channel:
        sender = _provider_sender(settings, channel)
        if sender is None and not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            from channels.outbox.sender import OutboxSender

            sender = OutboxSender(channel)
        if sender is not None:
            senders[channel] = sender
    return senders


def _provider_sender(settings: Settings, channel: Channel) -> Sender | None:
    if channel is Channel.TELEGRAM:
        token = credential(settings, "telegram", "bot_token")
        if not token:
            return None
        from channels.telegram.sender import TelegramSender

        return TelegramSender(token)
    if channel in (Channel.SMS, Channel.WHATSAPP):
        sid, token = credential(settings, "twilio", "account_sid"), credential(settings, "twilio", "auth_token")
        sender_id = credential(settings, "twilio", "sms_from" if channel is Channel.SMS else "whatsapp_from")
        if not (sid and token and sender_id):
            return None
        from channels.twilio.sender import TwilioSender

        base = settings.public_base_url.rstrip("/")
        return TwilioSender(channel, sid, token, sender_id,
                            template_sid=credential(settings, "twilio", "whatsapp_template_sid"),
                            status_callback=f"{base}{TWILIO_STATUS_PATH}" if base else "")
    key, sender_email = credential(settings, "sendgrid", "api_key"), credential(settings, "sendgrid", "from_email")
    if not (key and sender_email):
        return None
    from channels.sendgrid.sender import EmailSender

    return EmailSender(key, sender_email)
