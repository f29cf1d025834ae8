"""TwilioSender against recorded Twilio answers (the `responses` library): the exact Messages API request for
SMS, a Messaging Service and WhatsApp (in the window, and outside it as the approved template), text kept to
GSM-7 and few segments, actions as reply keywords, and each Twilio error as the delivery reason the core acts
on (21610 marks the number opted out)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import requests
import responses

from channels.twilio.sender import TwilioSender, gsm_friendly, segments, with_actions
from core.channels import Action, Channel, Contact, MessageStatus, OutboundMessage
from core.ports.channel import DeliveryFailed
from core.usecases.messaging.outbound import deliver
from infra.bootstrap import build_platform
from infra.brokers.paper import PaperBroker
from infra.settings import Settings
from infra.stores import open_store
from tests.channels.harness import TWILIO_TOKEN
from tests.channels.twilio_support import (
    ACCOUNT_SID,
    MESSAGES_URL,
    OUR_NUMBER,
    OUR_WHATSAPP,
    TEMPLATE_SID,
    TRADER,
    TRADER_WHATSAPP,
    sent_message,
    twilio_error,
)
from tests.support import Clock

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
AUTH = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{TWILIO_TOKEN}".encode()).decode()
TICKET = ("BUY 10 AAPL MKT DAY, est. 1,900.00 USD, risk OK, PAPER.\n"
          "Reply yes 4821 to confirm (until 15:10:00 UTC), or no to cancel.")
TICKET_ACTIONS = [Action(label="Confirm", command="yes 4821"), Action(label="Cancel", command="no 4821")]


def sms_sender(sender: str = OUR_NUMBER) -> TwilioSender:
    return TwilioSender(Channel.SMS, ACCOUNT_SID, TWILIO_TOKEN, sender)


def whatsapp_sender(template_sid: str = TEMPLATE_SID) -> TwilioSender:
    return TwilioSender(Channel.WHATSAPP, ACCOUNT_SID, TWILIO_TOKEN, OUR_WHATSAPP, template_sid=template_sid)


def message(text: str, to: str = TRADER, channel: Channel = Channel.SMS, **fields: object) -> OutboundMessage:
    return OutboundMessage(id="m1", channel=channel, to=to, text=text, created_at=NOW, **fields)


def form_of(call: responses.Call) -> dict[str, list[str]]:
    assert call.request.method == "POST"
    assert call.request.url == MESSAGES_URL
    assert call.request.headers["Authorization"] == AUTH
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return parse_qs(call.request.body, keep_blank_values=True)


@responses.activate
def test_an_sms_goes_to_the_messages_api_from_the_number_and_returns_the_message_sid() -> None:
    responses.post(MESSAGES_URL, status=201, json=sent_message(TRADER, "Filled: BUY 10 AAPL at 190.02."))

    sid = sms_sender().send(message("Filled: BUY 10 AAPL at 190.02."))

    assert sid == "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
    assert len(responses.calls) == 1
    assert form_of(responses.calls[0]) == {"To": [TRADER], "From": [OUR_NUMBER],
                                           "Body": ["Filled: BUY 10 AAPL at 190.02."]}


@responses.activate
def test_a_messaging_service_sends_in_place_of_a_from_number() -> None:
    service = "MG9752274e9e519418a7406176694466fa"
    responses.post(MESSAGES_URL, status=201, json=sent_message(TRADER, "hi", messaging_service_sid=service))

    sms_sender(service).send(message("hi"))

    assert form_of(responses.calls[0]) == {"To": [TRADER], "MessagingServiceSid": [service], "Body": ["hi"]}


@responses.activate
def test_a_ticket_by_sms_is_one_gsm7_segment_with_its_keywords_uppercased_and_not_repeated() -> None:
    responses.post(MESSAGES_URL, status=201, json=sent_message(TRADER, "ticket"))

    sms_sender().send(message(TICKET, actions=TICKET_ACTIONS))

    body = form_of(responses.calls[0])["Body"][0]
    assert body == ("BUY 10 AAPL MKT DAY, est. 1,900.00 USD, risk OK, PAPER.\n"
                    "Reply YES 4821 to confirm (until 15:10:00 UTC), or NO to cancel.")
    assert segments(body) == 1


def test_typographic_characters_and_backticks_become_plain_gsm7() -> None:
    fancy = ("Linked \u2014 send `help` to see what I do\u2026 \u201cAAPL\u201d isn\u2019t\u00a0shortable, "
             "margin \u2265 2\u00d7")
    plain = gsm_friendly(fancy)
    assert plain == "Linked - send help to see what I do... \"AAPL\" isn't shortable, margin >= 2x"
    assert segments(fancy) == 2  # one curly quote makes the whole message UCS-2: 70 characters a segment
    assert segments(plain) == 1
    # GSM-7 has the e acute and the euro sign, not the c cedilla
    assert gsm_friendly("Caf\u00e9 \u00e7a \u00e9t\u00e9 \u20ac5") == "Caf\u00e9 ca \u00e9t\u00e9 \u20ac5"
    assert gsm_friendly("\u6771\u4eac \U0001f4c8") == "\u6771\u4eac \U0001f4c8"  # nothing plain says it: stays
    assert gsm_friendly("  buy 10 AAPL                       market order\n") == "buy 10 AAPL  market order"


def test_actions_the_text_does_not_name_are_listed_compactly() -> None:
    actions = [Action(label="Close", command="close NG"), Action(label="Keep", command="keep NG")]
    assert with_actions("NG hit 3.50.", actions) == "NG hit 3.50.\nReply CLOSE NG to close, KEEP NG to keep."
    assert with_actions("no buttons", []) == "no buttons"


@responses.activate
def test_a_long_sms_goes_as_parts_of_at_most_1600_characters_cut_at_line_breaks() -> None:
    responses.post(MESSAGES_URL, status=201, json=sent_message(TRADER, "part", sid="SM01"))
    responses.post(MESSAGES_URL, status=201, json=sent_message(TRADER, "part", sid="SM02"))
    lines = [f"position {i:03d}: 10 AAPL at 190.02" for i in range(60)]  # 60 x 34 characters + breaks

    sid = sms_sender().send(message("\n".join(lines)))

    bodies = [form_of(call)["Body"][0] for call in responses.calls]
    assert sid == "SM01,SM02"
    assert [len(body) <= 1600 for body in bodies] == [True, True]
    assert bodies[0].split("\n") + bodies[1].split("\n") == lines


@responses.activate
def test_whatsapp_in_the_window_sends_free_text_between_whatsapp_addresses() -> None:
    responses.post(MESSAGES_URL, status=201, json=sent_message(TRADER_WHATSAPP, "t", sender=OUR_WHATSAPP))
    text = "Filled \u2014 BUY 10 AAPL at 190.02 \U0001f4c8"

    whatsapp_sender().send(message(text, TRADER_WHATSAPP, Channel.WHATSAPP, actions=TICKET_ACTIONS[:1]))

    assert form_of(responses.calls[0]) == {"To": [TRADER_WHATSAPP], "From": [OUR_WHATSAPP],
                                           "Body": [f"{text}\nReply YES 4821 to confirm."]}


@responses.activate
def test_whatsapp_outside_the_window_sends_the_approved_template_with_the_text_as_its_variable() -> None:
    responses.post(MESSAGES_URL, status=201, json=sent_message(TRADER_WHATSAPP, "", sender=OUR_WHATSAPP))

    whatsapp_sender().send(message("Alert: NG above 3.50\nnow 3.52", TRADER_WHATSAPP, Channel.WHATSAPP,
                                   template=True))

    form = form_of(responses.calls[0])
    assert form == {"To": [TRADER_WHATSAPP], "From": [OUR_WHATSAPP], "ContentSid": [TEMPLATE_SID],
                    "ContentVariables": [json.dumps({"1": "Alert: NG above 3.50 now 3.52"})]}


@responses.activate
def test_whatsapp_outside_the_window_with_no_template_fails_as_outside_window_without_a_request() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        whatsapp_sender(template_sid="").send(message("Alert", TRADER_WHATSAPP, Channel.WHATSAPP, template=True))
    assert failed.value.reason == "outside_window"
    assert len(responses.calls) == 0


@pytest.mark.parametrize(("code", "reason"), [
    (63016, "outside_window"), (21610, "opted_out"), (20429, "unavailable"), (20500, "unavailable"),
    (21211, "rejected"),
])
@responses.activate
def test_twilio_errors_become_the_delivery_reason(code: int, reason: str) -> None:
    status, error = twilio_error(code)
    responses.post(MESSAGES_URL, status=status, json=error)
    sender = whatsapp_sender() if code == 63016 else sms_sender()
    to = TRADER_WHATSAPP if code == 63016 else TRADER

    with pytest.raises(DeliveryFailed) as failed:
        sender.send(message("hello", to, sender.channel))

    assert failed.value.reason == reason
    assert failed.value.details["twilio_code"] == code
    assert failed.value.details["status"] == status
    assert len(responses.calls) == 1


@responses.activate
def test_twilio_out_of_reach_is_unavailable() -> None:
    responses.post(MESSAGES_URL, body=requests.ConnectionError("Connection refused"))
    with pytest.raises(DeliveryFailed) as failed:
        sms_sender().send(message("hello"))
    assert failed.value.reason == "unavailable"


@responses.activate
def test_twilio_saying_the_number_opted_out_marks_the_contact_and_records_the_failure() -> None:
    platform = build_platform(Settings.model_validate({"feed": "off", "jwt_secret": "x" * 40}),
                              store=open_store("memory://"), broker=PaperBroker(), clock=Clock(), secret="x" * 40)
    platform.store.contacts.save(Contact(channel=Channel.SMS, address=TRADER, account_id="alice"))
    status, error = twilio_error(21610)
    responses.post(MESSAGES_URL, status=status, json=error)

    with pytest.raises(DeliveryFailed):
        deliver(platform.deps, {Channel.SMS: sms_sender()}, message("Filled"))

    contact = platform.store.contacts.get(Channel.SMS, TRADER)
    assert contact is not None and contact.opted_out and contact.account_id == "alice"
    stored = platform.store.messages.get("m1")
    assert stored is not None and stored.status is MessageStatus.FAILED and stored.error == "opted_out"
