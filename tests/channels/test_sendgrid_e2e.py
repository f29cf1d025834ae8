"""Email end to end on the local platform: link, order, confirm by reply, fill notification; then the same
reply sent through SendGrid itself (recorded) and its delivery receipt coming back."""

from __future__ import annotations

import json

from core.channels import Channel, MessageStatus
from core.orders import OrderStatus
from tests.channels.harness import LocalChannels, local_channels
from tests.channels.sendgrid_support import (
    ACCEPTED,
    MAIL_SEND,
    MESSAGE_ID,
    EventKeys,
    email_fields,
    post_email,
    recorded_sendgrid,
)

ALICE = "alice@example.com"


def write(local: LocalChannels, text: str, message_id: str, subject: str = "Orders") -> None:
    response = post_email(local.client, email_fields(text, subject=subject, message_id=message_id))
    assert response.status_code == 200 and response.json() == {"ok": True, "duplicate": False}
    local.drain()
    local.clock.advance(seconds=1)


def test_an_email_order_is_confirmed_by_reply_filled_once_and_notified() -> None:
    local = local_channels()
    local.quote("AAPL", "189.50", "189.60")

    write(local, f"link {local.link_code('alice')}", "<link@mail.example.com>", subject="Link")
    write(local, "buy 10 AAPL\n\n-- \nAlice", "<buy@mail.example.com>")
    ticket = local.outbox()[-1]
    code = ticket.actions[0].command.split()[1]
    assert (ticket.channel, ticket.to, ticket.subject) == (Channel.EMAIL, ALICE, "Re: Orders")
    assert ticket.text.startswith("BUY 10 AAPL MKT DAY") and f"Reply yes {code} to confirm" in ticket.text
    assert ticket.context == {"subject": "Orders", "message_id": "<buy@mail.example.com>"}

    reply = f"yes {code}\n\nOn Fri, 27 Nov 2026 at 15:00, Parley <trade@parse.example.com> wrote:\n> {ticket.text}"
    write(local, reply, "<yes@mail.example.com>", subject="Re: Orders")
    # the same reply delivered again by SendGrid is acknowledged and changes nothing
    again = post_email(local.client, email_fields(reply, subject="Re: Orders", message_id="<yes@mail.example.com>"))
    assert again.json() == {"ok": True, "duplicate": True}
    local.drain()

    [order] = local.orders("alice")
    assert (order.symbol, order.quantity, order.status) == ("AAPL", 10, OrderStatus.FILLED)
    sent = local.outbox()
    assert all(message.channel is Channel.EMAIL and message.to == ALICE for message in sent)
    assert sent[0].text.startswith("Linked: this email now speaks for account alice.")
    assert sent[1] == ticket
    # after the ticket: the answer to the reply, on its thread, and the fill notification (same instant, any order)
    assert sorted((m.subject, m.text) for m in sent[2:]) == [
        ("Parley fill", f"Filled: BUY 10 AAPL at 189.60 (order {order.id}, 10 of 10)"),
        ("Re: Orders", f"Done: BUY 10 AAPL filled at 189.60 (order {order.id})."),
    ]


def test_through_sendgrid_the_reply_is_sent_and_its_delivery_recorded(monkeypatch) -> None:
    keys = EventKeys()
    local = local_channels(sendgrid_api_key="SG.test-key.0123456789", sendgrid_from_email="trade@parse.example.com",
                           sendgrid_event_public_key=keys.public)
    with recorded_sendgrid(monkeypatch, ACCEPTED) as requests:
        write(local, f"link {local.link_code('alice')}", "<link@mail.example.com>", subject="Link")

    [request] = requests
    assert (request.url, request.headers["Authorization"]) == (MAIL_SEND, "Bearer SG.test-key.0123456789")
    [message] = local.outbox()
    assert request.json["personalizations"] == [{"to": [{"email": ALICE}]}]
    assert request.json["subject"] == "Re: Link"
    assert request.json["headers"] == {"In-Reply-To": "<link@mail.example.com>",
                                       "References": "<link@mail.example.com>"}
    assert request.json["custom_args"] == {"parley_message_id": message.id}
    assert (message.status, message.provider_id) == (MessageStatus.SENT, MESSAGE_ID)

    body = json.dumps([{"email": ALICE, "timestamp": 1795878000, "event": "delivered", "response": "250 OK",
                        "sg_message_id": f"{MESSAGE_ID}.filter0001", "parley_message_id": message.id}]).encode()
    receipt = local.client.post("/webhooks/sendgrid/events", content=body,
                                headers={"content-type": "application/json"} | keys.headers(body))
    assert receipt.json() == {"ok": True, "updated": 1}
    assert local.platform.store.messages.get(message.id).status is MessageStatus.DELIVERED
