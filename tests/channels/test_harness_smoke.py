"""The channel API on the local platform: link codes and preferences over HTTP."""

from __future__ import annotations

from tests.channels.harness import local_channels


def test_a_link_code_is_issued_and_preferences_round_trip() -> None:
    local = local_channels()
    auth = {"Authorization": f"Bearer {local.token('alice')}"}
    code = local.client.post("/v1/links", headers=auth).json()
    assert len(code["code"]) == 8 and code["expires_at"].startswith("2026-11-27T15:10")
    assert local.client.get("/v1/preferences", headers=auth).json() == {
        "channels": ["telegram", "sms", "whatsapp", "email"], "quiet_hours": None}
    quiet = {"start": "22:00", "end": "07:00", "tz": "Europe/London"}
    wanted = {"channels": ["email", "telegram"], "quiet_hours": quiet}
    put = local.client.put("/v1/preferences", headers=auth, json=wanted)
    assert put.status_code == 200, put.text
    assert local.client.get("/v1/preferences", headers=auth).json() == {
        "channels": ["email", "telegram"], "quiet_hours": quiet}
    bad = local.client.put("/v1/preferences", headers=auth, json={"channels": ["fax"]})
    assert bad.status_code == 422
    bad_zone = local.client.put("/v1/preferences", headers=auth,
                                json={"channels": [], "quiet_hours": quiet | {"tz": "Mars/Base"}})
    assert bad_zone.status_code == 422 and "Mars/Base" in bad_zone.text
    twice = local.client.put("/v1/preferences", headers=auth, json={"channels": ["sms", "sms"]})
    assert twice.status_code == 422 and "each channel once" in twice.text
    for wrong in ({"start": 0, "end": "07:00"}, {"start": "24:00", "end": "07:00"}, {"start": "7:00", "end": "08:00"}):
        assert local.client.put("/v1/preferences", headers=auth,
                                json={"channels": [], "quiet_hours": wrong}).status_code == 422
    assert local.client.delete("/v1/links/telegram", headers=auth).json() == {"channel": "telegram", "unlinked": 0}
    assert local.client.delete("/v1/links/fax", headers=auth).status_code == 422
    assert local.client.post("/v1/links").status_code == 401
