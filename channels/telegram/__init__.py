"""Telegram through python-telegram-bot: inbound updates, the sender, the chat's policy."""
