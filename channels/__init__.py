"""Outbound adapters for the messenger channels (the core's Sender port): Telegram (python-telegram-bot),
SMS and WhatsApp (twilio), email (sendgrid), and the local outbox. Each provider's module is imported only by
the functions that send on it."""
