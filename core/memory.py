"""Conversation memory: the recent turns of one (account, thread), bounded and expiring."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Speaker(StrEnum):
    TRADER = "trader"
    PARLEY = "parley"


class ChatTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str
    account_id: str
    thread: str = Field(min_length=1, max_length=200)
    speaker: Speaker
    text: str = Field(max_length=8000)
    time: AwareDatetime
    expires_at: AwareDatetime
