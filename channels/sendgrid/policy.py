"""The rules of email through SendGrid: no keywords, no opt-out of its own, and one message's length (a runaway
answer is cut, not sent as a book)."""

from __future__ import annotations

from core.channels import Channel
from core.ports.channel import ChannelPolicy


class EmailPolicy(ChannelPolicy):
    channel = Channel.EMAIL
    max_length = 20_000
