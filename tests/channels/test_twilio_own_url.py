"""With no PublicBaseUrl (a stack deployed with one command), the Twilio webhook checks the signature against the
API's own URL, the domain API Gateway says the request came in on; a URL for another host is still refused."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

from core.channels import Channel
from functions.webhooks import twilio as webhook
from tests.channels.harness import TWILIO_TOKEN
from tests.channels.test_twilio_webhook import SMS, make_platform, queued
from tests.channels.twilio_support import TRADER, http_event, inbound_form

API_HOST = "abc123defg.execute-api.eu-west-1.amazonaws.com"


def on_the_api(path: str, form: dict[str, str], url: str) -> dict:
    event = http_event(path, form, RequestValidator(TWILIO_TOKEN).compute_signature(url, form))
    event["requestContext"]["domainName"] = API_HOST
    event["headers"]["host"] = API_HOST
    return event


def test_without_a_public_base_url_a_request_signed_for_the_apis_own_url_is_accepted() -> None:
    platform = make_platform(public_base_url="")
    form = inbound_form(Channel.SMS, "positions", TRADER)
    response = webhook.ROUTES[SMS](platform, on_the_api(SMS, form, f"https://{API_HOST}{SMS}"))
    assert response["statusCode"] == 200
    assert [m.text for m in queued(platform)] == ["positions"]


def test_without_a_public_base_url_a_request_signed_for_another_host_is_refused() -> None:
    platform = make_platform(public_base_url="")
    form = inbound_form(Channel.SMS, "positions", TRADER)
    response = webhook.ROUTES[SMS](platform, on_the_api(SMS, form, f"https://evil.example.com{SMS}"))
    assert response["statusCode"] == 403
    assert queued(platform) == []
