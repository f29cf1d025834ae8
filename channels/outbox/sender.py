"""The local outbox: with no provider credentials every send is only recorded (the message store is the outbox,
``parley outbox --json`` prints it), so the local platform runs every channel with no account anywhere."""

from __future__ import annotations

from core.channels import Channel, OutboundMessage
from core.ports.channel import Sender


class OutboxSender(Sender):
    local = True

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def send(self, message: OutboundMessage) -> str:
        return ""
