"""What Parley says around a conversation on a messenger, before and beside the agent's answers: the first
words to a stranger, the refusal an unverified email gets, the welcome back after START, the opt-out hint,
and the link and unlink confirmations."""

from __future__ import annotations

from core.channels import Channel

UNVERIFIED = (
    "I could not verify that this email came from your domain (SPF/DKIM did not pass), so I answer questions "
    "but will not place, change or confirm orders from it."
)
RESUBSCRIBED = "You will get Parley messages here again. Reply STOP to opt out, HELP for help."
OPT_OUT_HINT = "Reply STOP to opt out."
_NOUNS = {Channel.TELEGRAM: "Telegram chat", Channel.SMS: "number", Channel.WHATSAPP: "WhatsApp number",
          Channel.EMAIL: "email address"}


def onboarding(channel: Channel) -> str:
    """The one message a sender not linked to an account gets: how to link it."""
    return (f"Hi, this is Parley. This {_NOUNS[channel]} is not linked to a trading account yet. Get a code in the "
            "app or with POST /v1/links, then send: link <code>")


def linked(channel: Channel, account_id: str | None) -> str:
    return f"Linked: this {channel.value} now speaks for account {account_id}. Send `help` to see what I do."


def unlinked(account_id: str | None) -> str:
    return f"Unlinked from account {account_id}. Send link <code> to link again."
