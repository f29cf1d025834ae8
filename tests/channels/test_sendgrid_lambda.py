"""The SendGrid webhooks' Lambda entry point, fed API Gateway HTTP API events as AWS sends them."""

from __future__ import annotations

import json

import pytest

from functions.webhooks import http, sendgrid
from tests.channels.harness import SENDGRID_TOKEN, local_channels
from tests.channels.sendgrid_support import EventKeys, email_fields, inbound_form
from tests.functional.conftest import LambdaContext, http_event


@pytest.fixture
def local(monkeypatch):
    keys = EventKeys()
    local = local_channels(sendgrid_event_public_key=keys.public)
    local.keys = keys
    monkeypatch.setattr(http, "_platform", local.platform)
    monkeypatch.setattr(sendgrid.metrics, "namespace", "ParleyTest")  # template.yaml sets it in AWS
    return local


def routed(event: dict, route: str) -> dict:
    return event | {"routeKey": route}


def test_the_route_key_picks_the_webhook_and_a_refusal_queues_nothing(local) -> None:
    raw, content_type = inbound_form(email_fields("positions"))
    inbound = http_event("POST", "/webhooks/sendgrid/inbound", raw=raw, headers={"content-type": content_type},
                         query={"token": SENDGRID_TOKEN})
    accepted = sendgrid.handler(routed(inbound, "POST /webhooks/sendgrid/inbound"), LambdaContext())
    assert (accepted["statusCode"], json.loads(accepted["body"])) == (200, {"ok": True, "duplicate": False})

    forged = http_event("POST", "/webhooks/sendgrid/inbound", raw=raw, headers={"content-type": content_type},
                        query={"token": "wrong"})
    assert sendgrid.handler(routed(forged, "POST /webhooks/sendgrid/inbound"), LambdaContext())["statusCode"] == 403

    body = b"[]"
    events = http_event("POST", "/webhooks/sendgrid/events", raw=body, headers=local.keys.headers(body))
    answered = sendgrid.handler(routed(events, "POST /webhooks/sendgrid/events"), LambdaContext())
    assert (answered["statusCode"], json.loads(answered["body"])) == (200, {"ok": True, "updated": 0})

    # a $default route falls back to the path; an unknown path is 404
    assert sendgrid.handler(http_event("POST", "/webhooks/sendgrid/events", raw=body,
                                       headers=local.keys.headers(body)), LambdaContext())["statusCode"] == 200
    assert sendgrid.handler(http_event("POST", "/webhooks/sendgrid/other", raw=body), LambdaContext())[
        "statusCode"] == 404
    local.drain()
    assert len(local.outbox()) == 1  # the accepted email's onboarding reply, and only that


def test_the_webhook_module_imports_no_agent_api_framework_or_sendgrid_sdk() -> None:
    import subprocess
    import sys

    probe = ("import sys, functions.webhooks.sendgrid; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'langchain', 'openai', 'fastapi', 'sendgrid', 'python_http_client', 'twilio', 'telegram'}))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_a_stage_prefixed_path_with_no_route_key_still_finds_its_webhook(local) -> None:
    raw, content_type = inbound_form(email_fields("positions"))
    event = http_event("POST", "/prod/webhooks/sendgrid/inbound", raw=raw, headers={"content-type": content_type},
                       query={"token": SENDGRID_TOKEN})
    event.pop("routeKey", None)
    assert sendgrid.handler(event, LambdaContext())["statusCode"] == 200
    elsewhere = http_event("POST", "/prod/webhooks/sendgrid/other", raw=b"", query={"token": SENDGRID_TOKEN})
    elsewhere.pop("routeKey", None)
    assert sendgrid.handler(elsewhere, LambdaContext())["statusCode"] == 404
