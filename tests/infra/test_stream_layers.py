"""Each stream, worker and webhook handler imports and answers a sample event from exactly the layers the
template attaches to it (the base layer and what the Lambda runtime ships), with the virtualenv's
site-packages off the path, and loads no langchain, openai or fastapi. Offline: nothing is downloaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from tests.infra.handler_probe import run_handler
from tests.infra.test_layers import attached_layers

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "local" / "events"
HANDLERS = [
    ("KinesisConsumerFunction", "kinesis-poison.json", {"batchItemFailures": []}),
    ("MskConsumerFunction", "msk-poison.json", {"batchItemFailures": []}),
    ("OutboxRelayFunction", "dynamodb-outbox.json", {"batchItemFailures": []}),
    ("SweepFunction", None, {"relayed": 0, "released": 0}),
    ("SignalsWebhookFunction", "apigw-signal.json", None),
]
HEAVY = ("langchain", "langchain_core", "langchain_openai", "openai", "fastapi", "starlette", "mangum")

@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = decode_str((ROOT / "template.yaml").read_text())
    assert not problems, problems
    return decoded


@pytest.mark.parametrize(("function", "sample", "expected"), HANDLERS)
def test_a_stream_or_webhook_handler_runs_from_the_base_layer_alone(template, tmp_path, function, sample,
                                                                    expected) -> None:
    layers = attached_layers(template, function)
    assert layers == ["base"]
    handler = template["Resources"][function]["Properties"]["Handler"].rsplit(".", 1)[0]
    event = (EVENTS / sample).read_text() if sample else json.dumps({"source": "aws.events"})
    result = run_handler(tmp_path, handler, layers, event, timeout=120)
    loaded = result["loaded"]
    assert not [m for m in loaded if m.split(".")[0] in HEAVY], [m for m in loaded if m.split(".")[0] in HEAVY]
    assert not [m for m in loaded if m == "local" or m.startswith("local.")]
    if expected is not None:
        assert result["response"] == expected
    else:
        # The sample names no registered source: refused exactly as a bad signature is, so ids cannot be probed.
        assert result["response"]["statusCode"] == 401
