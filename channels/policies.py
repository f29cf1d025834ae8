"""Every channel's policy, keyed by channel: what the composition root hands the core (Deps.policies). The local
outbox stands in for a provider's sender only; its channel's rules are the provider's."""

from __future__ import annotations

from channels.sendgrid.policy import EmailPolicy
from channels.telegram.policy import TelegramPolicy
from channels.twilio.policy import SmsPolicy, WhatsAppPolicy
from core.channels import Channel
from core.ports.channel import ChannelPolicy


def policies() -> dict[Channel, ChannelPolicy]:
    return {policy.channel: policy for policy in (TelegramPolicy(), SmsPolicy(), WhatsAppPolicy(), EmailPolicy())}
