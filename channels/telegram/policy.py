"""The rules of a Telegram chat: no keywords (commands are the grammar's), a chat that opted out by blocking the
bot comes back by writing to it, and one message's length."""

from __future__ import annotations

from core.channels import Channel
from core.ports.channel import ChannelPolicy, OptIn


class TelegramPolicy(ChannelPolicy):
    channel = Channel.TELEGRAM
    max_length = 4000  # under Telegram's 4,096 per message, with room for the HTML the sender adds
    opt_in = OptIn.WRITING
