"""The Twilio webhooks fed the HTTP API events their Lambda function gets: a message signed as Twilio signs it
(RequestValidator.compute_signature over PARLEY_PUBLIC_BASE_URL + path and the form) is queued once and answered
with empty TwiML; a forged, missing or misplaced signature, or a webhook with no token or public URL set, is
refused with 403 and leaves nothing behind; a replayed MessageSid is acknowledged and not queued again."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from core import errors
from core.channels import Channel, Inbound
from functions.webhooks import http
from functions.webhooks import twilio as webhook
from infra.bootstrap import Platform, build_platform
from infra.brokers.paper import PaperBroker
from infra.settings import Settings
from infra.stores import open_store
from tests.channels.harness import PUBLIC_BASE_URL, TWILIO_TOKEN
from tests.channels.twilio_support import PATHS, TRADER, TRADER_WHATSAPP, http_event, inbound_form, signature
from tests.functional.conftest import LambdaContext
from tests.support import Clock

TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SMS, WHATSAPP = PATHS[Channel.SMS], PATHS[Channel.WHATSAPP]


def make_platform(**settings: Any) -> Platform:
    values = {"feed": "off", "jwt_secret": "j" * 40, "twilio_auth_token": TWILIO_TOKEN,
              "public_base_url": PUBLIC_BASE_URL} | settings
    return build_platform(Settings.model_validate(values), store=open_store("memory://"), broker=PaperBroker(),
                          clock=Clock(), secret="j" * 40)


def queued(platform: Platform) -> list[Inbound]:
    pending = platform.inbox.pending  # type: ignore[attr-defined]
    return [pending.get_nowait() for _ in range(pending.qsize())]


def post(platform: Platform, path: str, form: dict[str, str], signed: str | None = "sign", **kw: Any) -> dict:
    signed = signature(path, form, query=kw.get("query", "")) if signed == "sign" else signed
    respond = webhook.ROUTES[path]
    return respond(platform, http_event(path, form, signed, **kw))


def test_a_signed_sms_is_queued_under_its_message_sid_and_answered_with_empty_twiml() -> None:
    platform = make_platform()
    form = inbound_form(Channel.SMS, "buy 10 AAPL", TRADER, sid="SM11111111111111111111111111111111")

    response = post(platform, SMS, form)

    assert response == {"statusCode": 200, "headers": {"content-type": "text/xml"}, "body": TWIML}
    [inbound] = queued(platform)
    assert (inbound.id, inbound.channel, inbound.sender, inbound.text) == (
        "sms:SM11111111111111111111111111111111", Channel.SMS, TRADER, "buy 10 AAPL")
    assert inbound.received_at == platform.deps.now() and inbound.verified


def test_a_signed_whatsapp_message_keeps_the_whatsapp_sender() -> None:
    platform = make_platform()
    form = inbound_form(Channel.WHATSAPP, "positions", TRADER_WHATSAPP, sid="SM22222222222222222222222222222222")

    assert post(platform, WHATSAPP, form)["statusCode"] == 200

    [inbound] = queued(platform)
    assert (inbound.id, inbound.channel, inbound.sender) == (
        "whatsapp:SM22222222222222222222222222222222", Channel.WHATSAPP, TRADER_WHATSAPP)


@pytest.mark.parametrize("case", ["forged", "missing", "other path", "tampered body", "query left out"])
def test_a_request_not_signed_for_this_url_and_form_is_refused_and_leaves_nothing(case: str) -> None:
    platform = make_platform()
    form = inbound_form(Channel.SMS, "buy 10 AAPL", TRADER)
    kw: dict[str, Any] = {}
    if case == "forged":
        signed = signature(SMS, form, token="not-the-auth-token")
    elif case == "missing":
        signed = None
    elif case == "other path":
        signed = signature(WHATSAPP, form)
    elif case == "tampered body":
        signed = signature(SMS, form)
        form = form | {"Body": "buy 1000 AAPL"}
    else:
        signed, kw = signature(SMS, form), {"query": "account=alice"}

    response = post(platform, SMS, form, signed, **kw)

    assert response["statusCode"] == 403
    assert response["headers"] == {"content-type": "application/json"}
    assert queued(platform) == []
    assert post(platform, SMS, form)["statusCode"] == 200  # no dedup key was kept: Twilio's real one goes in
    assert len(queued(platform)) == 1


def test_the_query_twilio_posted_to_is_part_of_what_it_signed() -> None:
    platform = make_platform()
    form = inbound_form(Channel.SMS, "hi", TRADER)
    assert post(platform, SMS, form, query="account=alice")["statusCode"] == 200


@pytest.mark.parametrize("missing", [{"twilio_auth_token": None}, {"public_base_url": ""}])
def test_with_no_auth_token_or_public_url_configured_nothing_is_accepted(missing: dict) -> None:
    platform = make_platform(**missing)
    form = inbound_form(Channel.SMS, "hi", TRADER)
    assert post(platform, SMS, form)["statusCode"] == 403
    assert queued(platform) == []


def test_a_replayed_message_sid_is_acknowledged_and_not_queued_again() -> None:
    platform = make_platform()
    form = inbound_form(Channel.SMS, "YES 4821", TRADER, sid="SM33333333333333333333333333333333")

    first, second = post(platform, SMS, form), post(platform, SMS, form)

    assert first == second == {"statusCode": 200, "headers": {"content-type": "text/xml"}, "body": TWIML}
    assert [inbound.id for inbound in queued(platform)] == ["sms:SM33333333333333333333333333333333"]


@pytest.mark.parametrize("case", ["not base64", "no MessageSid", "no From", "WhatsApp sender on SMS",
                                  "number on WhatsApp"])
def test_a_malformed_body_is_a_400_and_queues_nothing(case: str) -> None:
    platform = make_platform()
    path, form = SMS, inbound_form(Channel.SMS, "hi", TRADER)
    if case == "no MessageSid":
        del form["MessageSid"]
    elif case == "no From":
        del form["From"]
    elif case == "WhatsApp sender on SMS":
        form["From"] = TRADER_WHATSAPP
    elif case == "number on WhatsApp":
        path = WHATSAPP
    event = http_event(path, form, signature(path, form))
    if case == "not base64":
        event["body"] = "%%% not base64 %%%"

    response = webhook.ROUTES[path](platform, event)

    assert response["statusCode"] == 400
    assert queued(platform) == []


def test_a_queue_that_is_down_answers_503_and_twilio_s_retry_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    platform = make_platform()
    form = inbound_form(Channel.SMS, "hi", TRADER)

    def down(inbound: Inbound) -> None:
        raise errors.StoreError("queue unavailable")

    monkeypatch.setattr(platform.inbox, "send", down)
    assert post(platform, SMS, form)["statusCode"] == 503
    monkeypatch.undo()
    assert post(platform, SMS, form)["statusCode"] == 200
    assert len(queued(platform)) == 1


def test_the_lambda_handler_serves_both_routes_by_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "parley")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ParleyTest")
    lambda_module = importlib.reload(webhook)  # its Logger and Metrics read the environment when built
    platform = make_platform()
    monkeypatch.setattr(http, "_platform", platform)
    sms = inbound_form(Channel.SMS, "hi", TRADER)
    whatsapp = inbound_form(Channel.WHATSAPP, "hi", TRADER_WHATSAPP)
    staged = http_event(WHATSAPP, whatsapp, signature(WHATSAPP, whatsapp))
    staged["rawPath"] = staged["requestContext"]["http"]["path"] = f"/prod{WHATSAPP}"  # a named stage

    assert lambda_module.handler(http_event(SMS, sms, signature(SMS, sms)), LambdaContext())["body"] == TWIML
    assert lambda_module.handler(staged, LambdaContext())["body"] == TWIML
    unknown = http_event("/webhooks/twilio/fax", sms, signature(SMS, sms))
    assert lambda_module.handler(unknown, LambdaContext())["statusCode"] == 404
    assert [(m.channel, m.sender) for m in queued(platform)] == [(Channel.SMS, TRADER),
                                                                   (Channel.WHATSAPP, TRADER_WHATSAPP)]
