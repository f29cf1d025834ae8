"""SendGrid Inbound Parse, event to 200 (`make bench`): the median time respond_inbound takes from an API Gateway
event carrying a multipart email (a few KB: headers, text and HTML parts) to its 200 answer, in process, on a
memory-store platform: token check, multipart parse, quote stripping, SPF/DKIM reading, the dedup claim and the
in-process queue. Each round posts a new Message-Id, so every round takes the accept path, not the replay one.
Measured also with a Parse security policy (ECDSA signature verified on every post), and for a replay.

The import time of functions.webhooks.sendgrid against boto3 is measured with the other webhook handlers in
bench_streams.py (it finds every webhook module with a ``handler``).
"""

from __future__ import annotations

import base64
import itertools
import json

from functions.webhooks.sendgrid import respond_inbound
from tests.channels.harness import SENDGRID_TOKEN, local_channels
from tests.channels.sendgrid_support import EventKeys, email_fields, inbound_form

ROUNDS = 300
QUOTED = "\n".join(f"> line {i} of the earlier message, quoted by the mail client" for i in range(40))
TEXT = ("positions\n\n-- \nAlice Trader\n\n"
        f"On Wed, 27 Nov 2026 at 15:00, Parley <trade@parse.example.com> wrote:\n{QUOTED}")
HTML = "<div>positions</div><div class=gmail_quote><blockquote>" + QUOTED.replace("\n", "<br>") + "</blockquote></div>"


def inbound_event(number: int, keys: EventKeys | None = None) -> dict:
    raw, content_type = inbound_form(email_fields(TEXT, html=HTML, message_id=f"<bench-{number}@mail.example.com>"))
    headers = {"content-type": content_type, "user-agent": "Go-http-client/1.1"}
    if keys is not None:
        headers |= {k.lower(): v for k, v in keys.headers(raw).items()}
    path = "/webhooks/sendgrid/inbound"
    return {
        "version": "2.0", "routeKey": f"POST {path}", "rawPath": path, "rawQueryString": f"token={SENDGRID_TOKEN}",
        "headers": headers, "queryStringParameters": {"token": SENDGRID_TOKEN},
        "requestContext": {"http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "167.89.1.1",
                                    "userAgent": "Go-http-client/1.1"}, "routeKey": f"POST {path}",
                           "stage": "$default"},
        "body": base64.b64encode(raw).decode(), "isBase64Encoded": True,
    }


def _measure(benchmark, say, label: str, keys: EventKeys | None = None, replay: bool = False) -> None:
    settings = {"sendgrid_inbound_public_key": keys.public} if keys is not None else {}
    platform = local_channels(**settings).platform
    numbers = itertools.count()
    first = inbound_event(0, keys)

    def setup() -> tuple[tuple, dict]:
        return (platform, first if replay else inbound_event(next(numbers), keys)), {}

    if replay:
        respond_inbound(platform, first)
    response = benchmark.pedantic(respond_inbound, setup=setup, rounds=ROUNDS, warmup_rounds=5, iterations=1)
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == {"ok": True, "duplicate": replay}
    size = len(base64.b64decode(first["body"]))
    say(f"sendgrid inbound parse event -> 200 ({label}, {size / 1024:.1f} KB form, memory store): "
        f"median {benchmark.stats.stats.median * 1e3:.3f} ms over {ROUNDS} rounds")


def test_inbound_parse_event_to_200(benchmark, say) -> None:
    _measure(benchmark, say, "token")


def test_inbound_parse_event_to_200_with_a_signed_policy(benchmark, say) -> None:
    _measure(benchmark, say, "token + ECDSA signature", keys=EventKeys())


def test_a_replayed_inbound_parse_event_to_200(benchmark, say) -> None:
    _measure(benchmark, say, "replay, acknowledged", replay=True)
