"""Which sender each channel gets: the provider's adapter when its credentials are configured, else (outside
Lambda) the local outbox. Credentials come from PARLEY_* variables or, in AWS, from one Secrets Manager secret
per provider (PARLEY_<PROVIDER>_SECRET_ARN, a JSON object), read through Powertools parameters. Each provider's
sender is built in one function here (``telegram_sender``, ``twilio_sender``, ``sendgrid_sender``); the
webhooks read their provider's secret with ``credential``. Kept in infra: channels/ never reads settings."""

from __future__ import annotations

import os
from collections.abc import Callable
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
    return PROVIDER_SENDERS[channel](settings, channel)


def telegram_sender(settings: Settings, channel: Channel = Channel.TELEGRAM) -> Sender | None:
    """channels/telegram/sender.py with PARLEY_TELEGRAM_BOT_TOKEN (or the Telegram secret's ``bot_token``)."""
    token = credential(settings, "telegram", "bot_token")
    if not token:
        return None
    from channels.telegram.sender import TelegramSender

    return TelegramSender(token)


def twilio_sender(settings: Settings, channel: Channel) -> Sender | None:
    """channels/twilio/sender.py for SMS or WhatsApp: the account SID and auth token, the channel's sender id,
    the WhatsApp template, and the status callback on PARLEY_PUBLIC_BASE_URL."""
    sid, token = credential(settings, "twilio", "account_sid"), credential(settings, "twilio", "auth_token")
    sender_id = credential(settings, "twilio", "sms_from" if channel is Channel.SMS else "whatsapp_from")
    if not (sid and token and sender_id):
        return None
    from channels.twilio.sender import TwilioSender

    base = settings.public_base_url.rstrip("/")
    return TwilioSender(channel, sid, token, sender_id,
                        template_sid=credential(settings, "twilio", "whatsapp_template_sid"),
                        status_callback=f"{base}{TWILIO_STATUS_PATH}" if base else "")


def sendgrid_sender(settings: Settings, channel: Channel = Channel.EMAIL) -> Sender | None:
    """channels/sendgrid/sender.py with the API key and the verified sender address."""
    key, sender_email = credential(settings, "sendgrid", "api_key"), credential(settings, "sendgrid", "from_email")
    if not (key and sender_email):
        return None
    from channels.sendgrid.sender import EmailSender

    return EmailSender(key, sender_email)


# Each channel's provider: its sender built from that provider's credentials, one function per provider.
PROVIDER_SENDERS: dict[Channel, Callable[[Settings, Channel], Sender | None]] = {
    Channel.TELEGRAM: telegram_sender, Channel.SMS: twilio_sender, Channel.WHATSAPP: twilio_sender,
    Channel.EMAIL: sendgrid_sender,
}
