"""The local outbox: the stand-in sender for every channel when no provider is configured."""
