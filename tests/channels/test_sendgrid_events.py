"""POST /webhooks/sendgrid/events: only SendGrid's signature is believed, and its receipts move the delivery
status of the email Parley sent (found by the parley_message_id custom arg)."""

from __future__ import annotations

import json

from core.channels import Channel, MessageStatus, OutboundMessage
from tests.channels.harness import LocalChannels, local_channels
from tests.channels.sendgrid_support import SIGNED_AT, EventKeys

URL = "/webhooks/sendgrid/events"


def sent_email(local: LocalChannels, message_id: str) -> None:
    local.platform.store.messages.add(OutboundMessage(
        id=message_id, channel=Channel.EMAIL, to="alice@example.com", text="Done.", subject="Re: Orders",
        status=MessageStatus.SENT, provider_id="7mc0U-3mTmmIo6iHX9rSbg", created_at=local.clock.now))


def event(kind: str, message_id: str | None, **fields: object) -> dict:
    """One event as SendGrid posts it: custom args sit beside SendGrid's own fields."""
    item = {"email": "alice@example.com", "timestamp": 1795878000, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
            "event": kind, "category": [], "sg_event_id": f"sg-{kind}", "sg_message_id":
            "7mc0U-3mTmmIo6iHX9rSbg.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"} | fields
    if message_id is not None:
        item["parley_message_id"] = message_id
    return item


def post(local: LocalChannels, keys: EventKeys | None, events: list[dict], raw: bytes | None = None,
         headers: dict[str, str] | None = None):
    body = raw if raw is not None else json.dumps(events).encode()
    signed = keys.headers(body) if keys is not None else {}
    return local.client.post(URL, content=body, headers={"content-type": "application/json"} | signed
                             | (headers or {}))


def status(local: LocalChannels, message_id: str) -> tuple[MessageStatus, str]:
    message = local.platform.store.messages.get(message_id)
    assert message is not None
    return message.status, message.error


def test_delivered_bounce_and_dropped_move_the_messages_status_and_other_events_do_not() -> None:
    keys = EventKeys()
    local = local_channels(sendgrid_event_public_key=keys.public)
    for message_id in ("M-DELIVERED", "M-BOUNCED", "M-DROPPED", "M-OPENED"):
        sent_email(local, message_id)

    response = post(local, keys, [
        event("processed", "M-DELIVERED"),
        event("delivered", "M-DELIVERED", response="250 OK", ip="168.1.1.1", tls=1),
        event("bounce", "M-BOUNCED", reason="550 5.1.1 The email account that you tried to reach does not exist.",
              status="5.1.1", type="bounce", bounce_classification="Invalid Address"),
        event("dropped", "M-DROPPED", reason="Bounced Address", status="5.0.0"),
        event("deferred", "M-OPENED", response="400 try again later", attempt="1"),
        event("open", "M-OPENED", useragent="Mozilla/5.0", ip="255.255.255.255"),
        event("click", "M-OPENED", url="https://parley.example.com"),
        event("delivered", "NOT-OURS"),
        event("delivered", None),
    ])

    assert response.status_code == 200 and response.json() == {"ok": True, "updated": 3}
    assert status(local, "M-DELIVERED") == (MessageStatus.DELIVERED, "")
    assert status(local, "M-BOUNCED") == (
        MessageStatus.FAILED, "bounce: 550 5.1.1 The email account that you tried to reach does not exist.")
    assert status(local, "M-DROPPED") == (MessageStatus.FAILED, "dropped: Bounced Address")
    assert status(local, "M-OPENED") == (MessageStatus.SENT, "")


def test_a_late_delivered_does_not_undo_a_bounce_and_a_replay_changes_nothing() -> None:
    keys = EventKeys()
    local = local_channels(sendgrid_event_public_key=keys.public)
    sent_email(local, "M-1")
    bounce = event("bounce", "M-1", reason="550 no such user")
    assert post(local, keys, [bounce]).json()["updated"] == 1
    assert post(local, keys, [bounce, event("delivered", "M-1")]).json()["updated"] == 0
    assert status(local, "M-1") == (MessageStatus.FAILED, "bounce: 550 no such user")


def test_a_bad_or_missing_signature_or_no_key_is_403_and_changes_nothing() -> None:
    keys = EventKeys()
    local = local_channels(sendgrid_event_public_key=keys.public)
    sent_email(local, "M-1")
    body = json.dumps([event("bounce", "M-1", reason="forged")]).encode()
    genuine = json.dumps([event("delivered", "M-1")]).encode()

    refused = [
        post(local, None, [], raw=body),  # unsigned
        post(local, EventKeys(), [], raw=body),  # signed by another key
        post(local, None, [], raw=body, headers=keys.headers(genuine)),  # a genuine signature for another body
        post(local, None, [], raw=body, headers=keys.headers(body, SIGNED_AT) | {
            "X-Twilio-Email-Event-Webhook-Timestamp": str(int(SIGNED_AT) + 1)}),  # the timestamp is signed too
        post(local, None, [], raw=body, headers={"X-Twilio-Email-Event-Webhook-Signature": "not base64!",
                                                 "X-Twilio-Email-Event-Webhook-Timestamp": SIGNED_AT}),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert {r.json()["error"]["code"] for r in refused} == {"forbidden"}

    unkeyed = local_channels()
    sent_email(unkeyed, "M-1")
    assert post(unkeyed, keys, [event("bounce", "M-1", reason="x")]).status_code == 403
    assert status(local, "M-1") == status(unkeyed, "M-1") == (MessageStatus.SENT, "")


def test_a_signed_body_that_is_not_an_event_array_is_400() -> None:
    keys = EventKeys()
    local = local_channels(sendgrid_event_public_key=keys.public)
    assert post(local, keys, [], raw=b'{"event": "delivered"}').status_code == 400
    assert post(local, keys, [], raw=b"not json").status_code == 400


def test_a_genuine_signature_older_than_five_minutes_or_from_the_future_is_403_and_changes_nothing() -> None:
    keys = EventKeys()
    local = local_channels(sendgrid_event_public_key=keys.public)
    sent_email(local, "M-1")
    body = json.dumps([event("bounce", "M-1", reason="550 replayed")]).encode()
    now = int(local.clock.now.timestamp())

    def posted(at: int) -> int:
        return post(local, None, [], raw=body, headers=keys.headers(body, str(at))).status_code

    assert [posted(now - 301), posted(now + 31), posted(now + 86400), posted(-1)] == [403] * 4
    assert status(local, "M-1") == (MessageStatus.SENT, "")
    assert posted(now - 300) == 200  # the oldest edge still holds
    assert status(local, "M-1") == (MessageStatus.FAILED, "bounce: 550 replayed")


def test_a_signature_at_the_future_edge_of_the_clock_skew_is_accepted() -> None:
    keys = EventKeys()
    local = local_channels(sendgrid_event_public_key=keys.public)
    sent_email(local, "M-1")
    body = json.dumps([event("delivered", "M-1")]).encode()
    at = str(int(local.clock.now.timestamp()) + 30)
    assert post(local, None, [], raw=body, headers=keys.headers(body, at)).status_code == 200
