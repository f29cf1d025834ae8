"""Messenger links and notification preferences: POST /v1/links, DELETE /v1/links/{channel},
GET/PUT /v1/preferences. Each decodes, calls a use case, encodes."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.channels import Channel, Preferences, QuietHours
from core.errors import InvalidRequest
from core.usecases import messaging
from functions.api.auth import Caller, Parley
from functions.api.errors import responses_for
from functions.api.guard import api_router

router = api_router()


class LinkCodeOut(BaseModel):
    code: str
    expires_at: datetime
    how: str


Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, 24-hour, local")]


class QuietHoursBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Clock
    end: Clock
    tz: str = Field(default="UTC", min_length=1, max_length=64, description="An IANA time zone (Europe/London)")


class PreferencesBody(BaseModel):
    """Where notifications go, in order (a failed send falls back to the next), and the quiet hours."""

    model_config = ConfigDict(extra="forbid")

    channels: list[Channel] = Field(max_length=len(Channel), description="Each channel at most once")
    quiet_hours: QuietHoursBody | None = None

    def to_preferences(self) -> Preferences:
        quiet = self.quiet_hours
        return Preferences(channels=self.channels, quiet_hours=None if quiet is None else QuietHours(
            start=time.fromisoformat(quiet.start), end=time.fromisoformat(quiet.end), tz=quiet.tz))

    @classmethod
    def of(cls, preferences: Preferences) -> PreferencesBody:
        quiet = preferences.quiet_hours
        return cls(channels=preferences.channels, quiet_hours=None if quiet is None else QuietHoursBody(
            start=f"{quiet.start:%H:%M}", end=f"{quiet.end:%H:%M}", tz=quiet.tz))


class Unlinked(BaseModel):
    channel: Channel
    unlinked: int


@router.post("/v1/links", status_code=201, response_model=LinkCodeOut, responses=responses_for(409),
             tags=["channels"])
def new_link_code(account: Caller, parley: Parley) -> LinkCodeOut:
    """A one-time code (ten minutes) that links a messenger to your account: send `link <code>` to the Parley bot,
    number or inbound address. Each call issues a new code."""
    code = messaging.new_link_code(parley.deps, account)
    return LinkCodeOut(code=code.code, expires_at=code.expires_at, how=f"Send: link {code.code}")


@router.delete("/v1/links/{channel}", response_model=Unlinked, responses=responses_for(422), tags=["channels"])
def unlink(channel: Channel, account: Caller, parley: Parley) -> Unlinked:
    """Unlink every sender of yours on ``channel`` (telegram, sms, whatsapp, email)."""
    return Unlinked(channel=channel, unlinked=messaging.unlink(parley.deps, account.id, channel))


@router.get("/v1/preferences", response_model=PreferencesBody, responses=responses_for(), tags=["channels"])
def get_preferences(account: Caller) -> PreferencesBody:
    """Where your notifications go, in order, and your quiet hours."""
    return PreferencesBody.of(account.preferences)


@router.put("/v1/preferences", response_model=PreferencesBody, responses=responses_for(409, body=True),
            tags=["channels"])
def put_preferences(body: PreferencesBody, account: Caller, parley: Parley) -> PreferencesBody:
    """Replace your preferences: `channels` in the order to try them (a failed send falls back to the next),
    `quiet_hours` ({"start": "22:00", "end": "07:00", "tz": "Europe/London"}, or null) during which only urgent
    notifications (kill switch, rejected orders, system alerts) are sent."""
    try:
        wanted = body.to_preferences()
    except ValidationError as invalid:  # a channel named twice, a time zone that does not exist
        raise InvalidRequest("; ".join(e["msg"].removeprefix("Value error, ") for e in invalid.errors()),
                             code="invalid_preferences") from None
    return PreferencesBody.of(messaging.set_preferences(parley.deps, account, wanted))
