"""POST /v1/chat: the conversation service over HTTPS, for the caller's own account."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent.limits import MAX_MESSAGE_LENGTH
from agent.replies import Reply
from functions.api.auth import Caller, Parley
from functions.api.errors import responses_for
from functions.api.guard import api_router

router = api_router()


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_LENGTH)
    thread: str = Field(default="api", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:@-]+$",
                        description="Keeps separate conversations apart (memory is per account and thread).")


class ChatOut(BaseModel):
    replies: list[Reply]


@router.post("/v1/chat", response_model=ChatOut, tags=["chat"], responses=responses_for(body=True))
def chat(body: ChatIn, account: Caller, parley: Parley) -> ChatOut:
    """Say something to Parley. Orders come back as tickets to confirm with `yes <code>`."""
    return ChatOut.model_validate({"replies": parley.language.converse(account, f"api:{body.thread}", body.text)})
