"""SMS and WhatsApp end to end on the local platform: signed Twilio webhooks in, the conversation worker's
replies and the fill notification in the outbox, orders in the store. A trader links the number, stages
"buy 10 AAPL" and confirms with "YES <code>": exactly one filled order. Forged signatures, replays, a stranger
and an opted-out number execute nothing; with Twilio configured the replies go to its Messages API."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import responses

from core.channels import Channel, OutboundMessage
from core.orders import OrderStatus
from tests.channels.harness import LocalChannels, local_channels
from tests.channels.twilio_support import (
    ACCOUNT_SID,
    MESSAGES_URL,
    OUR_NUMBER,
    OUR_WHATSAPP,
    PATHS,
    TRADER,
    TRADER_WHATSAPP,
    inbound_form,
    sent_message,
    signature,
    twilio_error,
)

SENDERS = {Channel.SMS: TRADER, Channel.WHATSAPP: TRADER_WHATSAPP}
RESUBSCRIBED = "You will get Parley messages here again. Reply STOP to opt out, HELP for help."
CHANNELS = pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])


def text_in(local: LocalChannels, channel: Channel, text: str, *, sender: str | None = None,
            form: dict[str, str] | None = None, token: str | None = None) -> int:
    """One message from the trader's phone through the webhook, then the workers run; the webhook's status."""
    path = PATHS[channel]
    form = form or inbound_form(channel, text, sender or SENDERS[channel])
    signed = signature(path, form) if token is None else signature(path, form, token=token)
    response = local.client.post(path, data=form, headers={"X-Twilio-Signature": signed})
    local.drain()
    local.clock.advance(seconds=1)  # keeps the outbox in the order things happened
    return response.status_code


def linked(channel: Channel) -> LocalChannels:
    local = local_channels()
    local.quote("AAPL", "190.00", "190.02")
    assert text_in(local, channel, f"link {local.link_code('alice')}") == 200
    assert local.outbox()[-1].text.startswith(f"Linked: this {channel.value} now speaks for account alice.")
    return local


def stage(local: LocalChannels, channel: Channel) -> str:
    """'buy 10 AAPL' -> the ticket reply; its confirmation code."""
    assert text_in(local, channel, "buy 10 AAPL") == 200
    ticket = local.outbox()[-1]
    assert ticket.to == SENDERS[channel] and ticket.text.startswith("BUY 10 AAPL MKT DAY")
    code = ticket.actions[0].command.split()[1]
    assert [action.command for action in ticket.actions] == [f"yes {code}", f"no {code}"]
    return code


def to(local: LocalChannels, channel: Channel) -> list[OutboundMessage]:
    return [message for message in local.outbox() if message.to == SENDERS[channel]]


@CHANNELS
def test_link_buy_confirm_fills_one_order_and_the_fill_reaches_the_same_number(channel: Channel) -> None:
    local = linked(channel)
    code = stage(local, channel)

    assert text_in(local, channel, f"YES {code}") == 200

    [order] = local.orders("alice")
    assert order.status is OrderStatus.FILLED and order.filled_quantity == 10
    answered = {message.subject: message for message in local.outbox()[-2:]}
    assert answered[""].text == f"Done: BUY 10 AAPL filled at 190.02 (order {order.id})."
    fill = answered["Parley fill"]
    assert fill.text == f"Filled: BUY 10 AAPL at 190.02 (order {order.id}, 10 of 10)"
    assert (fill.channel, fill.to, fill.template) == (channel, SENDERS[channel], False)  # in WhatsApp's window


@CHANNELS
def test_a_replayed_confirmation_is_acknowledged_and_nothing_happens_twice(channel: Channel) -> None:
    local = linked(channel)
    code = stage(local, channel)
    confirmation = inbound_form(channel, f"YES {code}", SENDERS[channel])
    assert text_in(local, channel, "", form=confirmation) == 200
    before = len(local.outbox())

    assert text_in(local, channel, "", form=confirmation) == 200  # Twilio retried the same MessageSid

    assert len(local.orders("alice")) == 1
    assert len(local.outbox()) == before


@CHANNELS
def test_forged_messages_are_refused_and_execute_nothing(channel: Channel) -> None:
    local = linked(channel)
    code = stage(local, channel)
    before = len(local.outbox())

    assert text_in(local, channel, f"YES {code}", token="guessed-auth-token") == 403
    assert text_in(local, channel, "buy 100 AAPL", token="guessed-auth-token") == 403

    assert [order.status for order in local.orders("alice")] == [OrderStatus.PENDING_CONFIRMATION]
    assert len(local.outbox()) == before


@CHANNELS
def test_an_unlinked_sender_gets_one_onboarding_reply_and_nothing_else(channel: Channel) -> None:
    local = linked(channel)
    stranger = "+15005550123" if channel is Channel.SMS else "whatsapp:+15005550123"

    for text in ("buy 10 AAPL", "YES 1234", "positions"):
        assert text_in(local, channel, text, sender=stranger) == 200

    replies = [message for message in local.outbox() if message.to == stranger]
    noun = "number" if channel is Channel.SMS else "WhatsApp number"
    assert [message.text for message in replies] == [
        f"Hi, this is Parley. This {noun} is not linked to a trading account yet. Get a code in the app or with "
        "POST /v1/links, then send: link <code>"]
    assert local.orders("alice") == []


@CHANNELS
def test_an_opted_out_number_gets_nothing_until_start(channel: Channel) -> None:
    local = linked(channel)
    before = len(to(local, channel))

    assert text_in(local, channel, "STOP") == 200
    assert text_in(local, channel, "buy 10 AAPL") == 200
    assert text_in(local, channel, "help") == 200

    assert len(to(local, channel)) == before  # no ticket, no help, not even a confirmation of STOP
    assert local.orders("alice") == []

    assert text_in(local, channel, "START") == 200
    assert to(local, channel)[-1].text == RESUBSCRIBED
    code = stage(local, channel)
    assert text_in(local, channel, f"YES {code}") == 200
    assert [order.status for order in local.orders("alice")] == [OrderStatus.FILLED]


def test_help_by_sms_says_how_to_opt_out() -> None:
    local = linked(Channel.SMS)
    assert text_in(local, Channel.SMS, "HELP") == 200
    texts = sorted((message.text for message in local.outbox()[-2:]), key=len)
    assert texts[0] == "Reply STOP to opt out."
    assert texts[1].startswith("Commands I understand") and "buy 10 AAPL" in texts[1]


@responses.activate
def test_with_twilio_configured_replies_go_to_its_api_and_its_opt_out_error_stops_the_number() -> None:
    local = local_channels(twilio_account_sid=ACCOUNT_SID, twilio_sms_from=OUR_NUMBER)
    local.quote("AAPL", "190.00", "190.02")
    responses.post(MESSAGES_URL, status=201, json=sent_message(TRADER, "reply"))
    assert text_in(local, Channel.SMS, f"link {local.link_code('alice')}") == 200
    [linked_reply] = [parse_qs(call.request.body) for call in responses.calls]
    [callback] = linked_reply.pop("StatusCallback")  # Twilio posts the message's later statuses there
    assert callback.startswith("https://parley.example.com/webhooks/twilio/status?message=")
    assert linked_reply == {"To": [TRADER], "From": [OUR_NUMBER], "Body": [
        "Linked: this sms now speaks for account alice. Send help to see what I do."]}

    responses.replace(responses.POST, MESSAGES_URL, status=twilio_error(21610)[0], json=twilio_error(21610)[1])
    assert text_in(local, Channel.SMS, "buy 10 AAPL") == 200  # the ticket bounces: the number unsubscribed

    contact = local.platform.store.contacts.get(Channel.SMS, TRADER)
    assert contact is not None and contact.opted_out
    calls = len(responses.calls)
    assert text_in(local, Channel.SMS, "buy 10 AAPL") == 200
    assert len(responses.calls) == calls  # nothing more is sent to it
    assert [order.status for order in local.orders("alice")] == [OrderStatus.PENDING_CONFIRMATION]


@responses.activate
def test_a_fill_a_day_after_the_trader_last_wrote_goes_to_whatsapp_as_the_approved_template() -> None:
    template = "HXb5b62575e6e4ff6129ad7c8efe1f983e"
    local = local_channels(twilio_account_sid=ACCOUNT_SID, twilio_whatsapp_from=OUR_WHATSAPP,
                           twilio_whatsapp_template_sid=template)
    responses.post(MESSAGES_URL, status=201, json=sent_message(TRADER_WHATSAPP, "reply", sender=OUR_WHATSAPP))
    local.quote("AAPL", "190.00", "190.02")
    assert text_in(local, Channel.WHATSAPP, f"link {local.link_code('alice')}") == 200
    assert text_in(local, Channel.WHATSAPP, "buy 10 AAPL @ 189 gtc") == 200
    code = local.outbox()[-1].actions[0].command.split()[1]
    assert text_in(local, Channel.WHATSAPP, f"YES {code}") == 200
    assert [order.status for order in local.orders("alice")] == [OrderStatus.ACCEPTED]
    sent_in_window = len(responses.calls)

    local.clock.advance(hours=25)
    local.quote("AAPL", "188.50", "188.60")
    local.drain()

    [order] = local.orders("alice")
    assert order.status is OrderStatus.FILLED
    [fill] = [parse_qs(call.request.body) for call in responses.calls[sent_in_window:]]
    assert fill["To"] == [TRADER_WHATSAPP] and fill["From"] == [OUR_WHATSAPP] and fill["ContentSid"] == [template]
    assert "Body" not in fill
    filled = f"Filled: BUY 10 AAPL at 188.60 (order {order.id}, 10 of 10)"
    assert json.loads(fill["ContentVariables"][0]) == {"1": filled}
