"""Twilio SMS, event to 200 (`make bench`): the median time respond_sms takes from an API Gateway event carrying
a signed inbound SMS (Twilio's full form, X-Twilio-Signature over the public URL and the fields) to its empty
TwiML answer, in process, on a memory-store platform: body decode and form parse, the HMAC-SHA1 signature check
(RequestValidator, with and without the port), the dedup claim on MessageSid and the in-process queue. Each
round posts a new MessageSid, so every round takes the accept path; a replay is measured too.

The import time of functions.webhooks.twilio against boto3 is measured with the other webhook handlers in
bench_streams.py (it finds every webhook module with a ``handler``).
"""

from __future__ import annotations

from core.channels import Channel
from functions.webhooks.twilio import EMPTY_TWIML, respond_sms
from tests.channels.harness import local_channels
from tests.channels.twilio_support import PATHS, TRADER, http_event, inbound_form, message_sid, signature

ROUNDS = 300


def sms_event(sid: str) -> dict:
    form = inbound_form(Channel.SMS, "buy 10 AAPL", TRADER, sid=sid)
    return http_event(PATHS[Channel.SMS], form, signature(PATHS[Channel.SMS], form))


def _measure(benchmark, say, label: str, replay: bool = False) -> None:
    platform = local_channels().platform
    platform.inbox.deliver = lambda inbound: None  # type: ignore[attr-defined]  # the worker is not measured
    first = sms_event(message_sid())

    def setup() -> tuple[tuple, dict]:
        return (platform, first if replay else sms_event(message_sid())), {}

    if replay:
        respond_sms(platform, first)
    response = benchmark.pedantic(respond_sms, setup=setup, rounds=ROUNDS, warmup_rounds=5, iterations=1)
    assert response == {"statusCode": 200, "headers": {"content-type": "text/xml"}, "body": EMPTY_TWIML}
    say(f"twilio sms event -> 200 ({label}, memory store): median {benchmark.stats.stats.median * 1e3:.3f} ms "
        f"over {ROUNDS} rounds")


def test_signed_sms_event_to_200(benchmark, say) -> None:
    _measure(benchmark, say, "signed, queued")


def test_a_replayed_sms_event_to_200(benchmark, say) -> None:
    _measure(benchmark, say, "replay, acknowledged", replay=True)
