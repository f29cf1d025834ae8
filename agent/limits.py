"""Bounds of a conversation, stated once for the conversation, the LLM agent and the chat doors."""

from __future__ import annotations

from datetime import timedelta

MAX_MESSAGE_LENGTH = 2000  # longer messages are cut here before anything reads them
MAX_REPLY_TOKENS = 800  # the model's answer is capped at this many tokens (PARLEY_LLM_MAX_TOKENS)
MAX_REPLY_LENGTH = 4000  # characters of a model's answer kept, whatever it sent; channels cut further
HISTORY_TURNS = 20  # turns of memory the LLM is shown
MEMORY_TTL = timedelta(hours=24)
