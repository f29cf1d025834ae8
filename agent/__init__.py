"""Conversation: the command grammar, typed intents and, loaded lazily elsewhere, the LLM agent."""
