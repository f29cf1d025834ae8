"""Each stream, worker and webhook handler imports and answers a sample event from exactly the layers the
template attaches to it (the base layer and what the Lambda runtime ships), with the virtualenv's
site-packages off the path, and loads no langchain, openai or fastapi. Offline: nothing is downloaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from tests.infra.test_layers import attached_layers, layer_closure, populate_app, populate_site

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "local" / "events"
HANDLERS = [
    ("KinesisConsumerFunction", "kinesis-poison.json", {"batchItemFailures": []}),
    ("MskConsumerFunction", "msk-poison.json", {"batchItemFailures": []}),
    ("OutboxRelayFunction", "dynamodb-outbox.json", {"batchItemFailures": []}),
    ("SweepFunction", None, {"relayed": 0}),
    ("SignalsWebhookFunction", "apigw-signal.json", None),
]
HEAVY = ("langchain", "langchain_core", "langchain_openai", "openai", "fastapi", "starlette", "mangum")

PROBE = r"""
import json, sys
app, site, module_name, event = sys.argv[1:5]
sys.path[:0] = [app, site]
import importlib
module = importlib.import_module(module_name)

class Context:
    function_name = "parley-probe"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:parley-probe"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    def get_remaining_time_in_millis(self):
        return 10_000

response = module.handler(json.loads(event), Context())
print("PROBE " + json.dumps({"loaded": sorted(sys.modules), "response": response}))
"""


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
    site, app = tmp_path / "layers", tmp_path / "app"
    site.mkdir()
    app.mkdir()
    populate_site(layer_closure(layers), site)
    populate_app(app)
    handler = template["Resources"][function]["Properties"]["Handler"].rsplit(".", 1)[0]
    event = (EVENTS / sample).read_text() if sample else json.dumps({"source": "aws.events"})
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PARLEY_JWT_SECRET": "probe-secret-not-for-use",
        "PARLEY_FEED": "off", "POWERTOOLS_SERVICE_NAME": "parley", "POWERTOOLS_METRICS_NAMESPACE": "Parley",
    }
    run = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE, str(app), str(site), handler, event],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    lines = [line for line in run.stdout.splitlines() if line.startswith("PROBE ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    result = json.loads(lines[-1][len("PROBE "):])
    loaded = result["loaded"]
    assert not [m for m in loaded if m.split(".")[0] in HEAVY], [m for m in loaded if m.split(".")[0] in HEAVY]
    assert not [m for m in loaded if m == "local" or m.startswith("local.")]
    if expected is not None:
        assert result["response"] == expected
    else:
        assert result["response"]["statusCode"] == 403  # the sample names no registered source
