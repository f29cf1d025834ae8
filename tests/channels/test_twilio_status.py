"""Twilio's status callback on the local platform, with Twilio's Messages API recorded: every message asks for
it on /webhooks/twilio/status; a signed 'undelivered' with 63016 for a WhatsApp fill notification moves it to
the trader's next channel exactly once (a replayed callback too); 'delivered' only marks the message; a forged
callback is refused with 403 and changes nothing."""

from __future__ import annotations

import itertools
import json
from urllib.parse import parse_qs, urlencode

import pytest
import responses
from httpx import Response

from core.channels import Channel, MessageStatus, OutboundMessage
from tests.channels.harness import PUBLIC_BASE_URL, LocalChannels, local_channels
from tests.channels.twilio_support import (
    ACCOUNT_SID,
    MESSAGES_URL,
    OUR_NUMBER,
    OUR_WHATSAPP,
    PATHS,
    STATUS_PATH,
    TRADER,
    TRADER_WHATSAPP,
    inbound_form,
    sent_message,
    signature,
    status_form,
)

SENDERS = {Channel.SMS: TRADER, Channel.WHATSAPP: TRADER_WHATSAPP}


def twilio_messages_api() -> None:
    """Twilio's Messages API answering each create with 201 and a fresh SID."""
    sids = itertools.count(1)

    def created(request: responses.PreparedRequest) -> tuple[int, dict, str]:
        fields = {key: values[0] for key, values in parse_qs(request.body).items()}
        answer = sent_message(fields["To"], fields.get("Body", ""), sender=fields["From"],
                              sid=f"SM{next(sids):032x}")
        return 201, {}, json.dumps(answer)

    responses.add_callback(responses.POST, MESSAGES_URL, callback=created, content_type="application/json")


def sent(to: str) -> list[dict[str, str]]:
    """What went to Twilio's Messages API for ``to``, oldest first."""
    bodies = [{key: values[0] for key, values in parse_qs(call.request.body).items()} for call in responses.calls
              if call.request.url == MESSAGES_URL]
    return [body for body in bodies if body["To"] == to]


def text_in(local: LocalChannels, channel: Channel, text: str) -> None:
    form = inbound_form(channel, text, SENDERS[channel])
    response = local.client.post(PATHS[channel], data=form,
                                 headers={"X-Twilio-Signature": signature(PATHS[channel], form)})
    assert response.status_code == 200, response.text
    local.drain()
    local.clock.advance(seconds=1)


def whatsapp_then_sms() -> LocalChannels:
    """Alice linked on WhatsApp and SMS, notifications to WhatsApp first, then SMS."""
    local = local_channels(twilio_account_sid=ACCOUNT_SID, twilio_sms_from=OUR_NUMBER,
                           twilio_whatsapp_from=OUR_WHATSAPP)
    twilio_messages_api()
    local.quote("AAPL", "190.00", "190.02")
    for channel in (Channel.WHATSAPP, Channel.SMS):
        text_in(local, channel, f"link {local.link_code('alice')}")
    auth = {"Authorization": f"Bearer {local.token('alice')}"}
    put = local.client.put("/v1/preferences", headers=auth, json={"channels": ["whatsapp", "sms"]})
    assert put.status_code == 200, put.text
    return local


def fill_on_whatsapp(local: LocalChannels) -> OutboundMessage:
    """Alice buys 10 AAPL by WhatsApp; the fill notification goes to WhatsApp. Its stored message."""
    text_in(local, Channel.WHATSAPP, "buy 10 AAPL")
    code = local.outbox()[-1].actions[0].command.split()[1]
    text_in(local, Channel.WHATSAPP, f"YES {code}")
    [fill] = [message for message in local.outbox() if message.cause and message.text.startswith("Filled:")]
    assert fill.channel is Channel.WHATSAPP and fill.status is MessageStatus.SENT
    return fill


def callback(local: LocalChannels, message: OutboundMessage, status: str, error_code: str = "",
             signed: str | None = None) -> int:
    """Twilio posting ``status`` for ``message`` to the callback URL the message was sent with; the status."""
    return post_callback(local, message, status, error_code, signed).status_code


def post_callback(local: LocalChannels, message: OutboundMessage, status: str, error_code: str = "",
                  signed: str | None = None) -> Response:
    query = urlencode({"message": message.id})
    form = status_form(message.channel, message.provider_id, status, message.to, error_code)
    headers = {"X-Twilio-Signature": signed or signature(STATUS_PATH, form, query=query)}
    response = local.client.post(f"{STATUS_PATH}?{query}", data=form, headers=headers)
    local.drain()
    return response


@responses.activate
def test_every_message_asks_twilio_for_its_status_callback_on_the_public_url() -> None:
    local = whatsapp_then_sms()
    fill = fill_on_whatsapp(local)

    [went] = [body for body in sent(TRADER_WHATSAPP) if body["Body"].startswith("Filled:")]
    assert went["StatusCallback"] == f"{PUBLIC_BASE_URL}{STATUS_PATH}?message={fill.id}"
    assert all(body["StatusCallback"].startswith(f"{PUBLIC_BASE_URL}{STATUS_PATH}?message=")
               for body in sent(TRADER))


@responses.activate
def test_an_undelivered_whatsapp_fill_outside_the_window_goes_to_the_next_channel_once_even_when_replayed() -> None:
    local = whatsapp_then_sms()
    fill = fill_on_whatsapp(local)
    texts_before = len(sent(TRADER))

    assert callback(local, fill, "undelivered", "63016") == 200
    replay = post_callback(local, fill, "undelivered", "63016")  # Twilio retries: the same callback again
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    local.clock.advance(minutes=10)
    assert callback(local, fill, "undelivered", "63016") == 200  # and again, past any queue's dedup window

    fallen = sent(TRADER)[texts_before:]
    assert [body["Body"] for body in fallen] == [fill.text]
    failed = local.platform.store.messages.get(fill.id)
    assert failed is not None and (failed.status, failed.error) == (MessageStatus.FAILED, "outside_window")
    assert len([body for body in sent(TRADER_WHATSAPP) if body["Body"] == fill.text]) == 1


@responses.activate
def test_a_delivered_callback_marks_the_message_delivered_and_sends_nothing() -> None:
    local = whatsapp_then_sms()
    fill = fill_on_whatsapp(local)
    calls = len(responses.calls)

    assert callback(local, fill, "sent") == 200
    assert callback(local, fill, "delivered") == 200

    stored = local.platform.store.messages.get(fill.id)
    assert stored is not None and stored.status is MessageStatus.DELIVERED and stored.error == ""
    assert len(responses.calls) == calls


@responses.activate
def test_an_opted_out_callback_marks_the_number_opted_out_and_falls_back() -> None:
    local = whatsapp_then_sms()
    fill = fill_on_whatsapp(local)
    texts_before = len(sent(TRADER))

    assert callback(local, fill, "failed", "21610") == 200

    contact = local.platform.store.contacts.get(Channel.WHATSAPP, TRADER_WHATSAPP)
    assert contact is not None and contact.opted_out
    assert [body["Body"] for body in sent(TRADER)[texts_before:]] == [fill.text]


@pytest.mark.parametrize("signed", ["forged", "wrong token"])
@responses.activate
def test_a_forged_status_callback_is_refused_and_changes_nothing(signed: str) -> None:
    local = whatsapp_then_sms()
    fill = fill_on_whatsapp(local)
    calls = len(responses.calls)
    form = status_form(fill.channel, fill.provider_id, "undelivered", fill.to, "63016")
    forged = ("c2lnbmVkIGJ5IG5vYm9keQ==" if signed == "forged" else
              signature(STATUS_PATH, form, token="not-the-auth-token", query=urlencode({"message": fill.id})))

    assert callback(local, fill, "undelivered", "63016", signed=forged) == 403

    assert local.platform.store.messages.get(fill.id) == fill
    assert len(responses.calls) == calls
