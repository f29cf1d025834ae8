"""Messenger links and notification preferences: POST /v1/links, DELETE /v1/links/{channel},
GET/PUT /v1/preferences. Each decodes, calls a use case, encodes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from core.channels import Channel, Preferences
from core.usecases import links, preferences
from functions.api.auth import Caller, Parley
from functions.api.errors import responses_for
from functions.api.guard import api_router

router = api_router()


class LinkCodeOut(BaseModel):
    code: str
    expires_at: datetime
    how: str


class Unlinked(BaseModel):
    channel: Channel
    unlinked: int


@router.post("/v1/links", status_code=201, response_model=LinkCodeOut, responses=responses_for(409),
             tags=["channels"])
def new_link_code(account: Caller, parley: Parley) -> LinkCodeOut:
    """A one-time code (ten minutes) that links a messenger to your account: send `link <code>` to the Parley bot,
    number or inbound address. Each call issues a new code."""
    code = links.new_code(parley.deps, account)
    return LinkCodeOut(code=code.code, expires_at=code.expires_at, how=f"Send: link {code.code}")


@router.delete("/v1/links/{channel}", response_model=Unlinked, responses=responses_for(422), tags=["channels"])
def unlink(channel: Channel, account: Caller, parley: Parley) -> Unlinked:
    """Unlink every sender of yours on ``channel`` (telegram, sms, whatsapp, email)."""
    return Unlinked(channel=channel, unlinked=links.unlink(parley.deps, account.id, channel))


@router.get("/v1/preferences", response_model=Preferences, tags=["channels"])
def get_preferences(account: Caller) -> Preferences:
    """Where your notifications go, in order, and your quiet hours."""
    return account.preferences


@router.put("/v1/preferences", response_model=Preferences, responses=responses_for(409, body=True),
            tags=["channels"])
def put_preferences(body: Preferences, account: Caller, parley: Parley) -> Preferences:
    """Replace your preferences: `channels` in the order to try them (a failed send falls back to the next),
    `quiet_hours` ({"start": "22:00", "end": "07:00", "tz": "Europe/London"}, or null) during which only urgent
    notifications (kill switch, rejected orders, system alerts) are sent."""
    return preferences.set_preferences(parley.deps, account, body)
