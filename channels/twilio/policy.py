"""The rules of SMS and WhatsApp through Twilio: the carriers' opt-out and opt-in keywords (Twilio's defaults,
matched as the whole message like Twilio does; an opted-out number is heard again only when it opts in), HELP,
WhatsApp's 24-hour window for free text, and how long one message may be."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.channels import Channel, Contact
from core.ports.channel import ChannelPolicy, Keyword, OptIn

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"})
START_WORDS = frozenset({"start", "unstop", "yes", "optin"})
HELP_WORDS = frozenset({"help", "info"})
WHATSAPP_WINDOW = timedelta(hours=24)  # free text only within 24 h of the trader's last message
SMS_LIMIT = 612  # four GSM-7 segments
WHATSAPP_LIMIT = 1600  # Twilio's Body limit


class SmsPolicy(ChannelPolicy):
    channel = Channel.SMS
    max_length = SMS_LIMIT
    opt_in = OptIn.KEYWORD

    def keyword(self, text: str) -> Keyword | None:
        word = text.strip().lower().rstrip(".!")
        if word in STOP_WORDS:
            return Keyword.OPT_OUT
        if word in START_WORDS:
            return Keyword.OPT_IN
        if word in HELP_WORDS:
            return Keyword.HELP
        return None


class WhatsAppPolicy(SmsPolicy):
    channel = Channel.WHATSAPP
    max_length = WHATSAPP_LIMIT

    def free_text_open(self, contact: Contact, now: datetime) -> bool:
        """Within 24 h of the trader's last message; after that only an approved template may go."""
        return contact.last_inbound_at is not None and now - contact.last_inbound_at < WHATSAPP_WINDOW
