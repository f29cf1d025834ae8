"""The broker and reconciliation functions import and answer from exactly the layers the template attaches
(base and brokers, plus what the Lambda runtime ships), with the virtualenv's site-packages off the path; the
venue adapters import there too. Offline: nothing is downloaded, no venue is called."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cfnlint.decode import decode_str

from tests.infra.test_layers import ROOT, attached_layers, layer_closure, populate_app, populate_site

PROBE = r"""
import json, sys
app, site, module_name, event = sys.argv[1:5]
sys.path[:0] = [app, site]
import importlib
module = importlib.import_module(module_name)
import infra.brokers.alpaca, infra.brokers.exchange  # the adapters load from these layers

class Context:
    function_name = "parley-probe"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:parley-probe"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    def get_remaining_time_in_millis(self):
        return 10_000

print("PROBE " + json.dumps({"loaded": sorted(sys.modules), "response": module.handler(json.loads(event), Context())}))
"""
CASES = [
    ("ReconcileFunction", {"source": "aws.scheduler"}),
    ("BrokerFunction", {"op": "quote", "account_id": "alice", "symbol": "AAPL"}),
]


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = decode_str((ROOT / "template.yaml").read_text())
    assert not problems, problems
    return decoded


@pytest.mark.parametrize(("function", "event"), CASES)
def test_a_venue_function_runs_from_the_base_and_brokers_layers(template, tmp_path, function, event):
    layers = attached_layers(template, function)
    assert layers == ["base", "brokers"]
    site, app = tmp_path / "layers", tmp_path / "app"
    site.mkdir()
    app.mkdir()
    populate_site(layer_closure(layers), site)
    populate_app(app)
    handler = template["Resources"][function]["Properties"]["Handler"].rsplit(".", 1)[0]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PARLEY_JWT_SECRET": "probe-secret-not-for-use",
        "PARLEY_FEED": "off", "POWERTOOLS_SERVICE_NAME": "parley", "POWERTOOLS_METRICS_NAMESPACE": "Parley",
    }
    run = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE, str(app), str(site), handler, json.dumps(event)],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=180)
    lines = [line for line in run.stdout.splitlines() if line.startswith("PROBE ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    result = json.loads(lines[-1][len("PROBE "):])
    heavy = [m for m in result["loaded"] if m.split(".")[0] in ("langchain", "openai", "fastapi", "mangum")]
    assert not heavy and not [m for m in result["loaded"] if m.split(".")[0] == "local"]
    expected = {"ReconcileFunction": {"accounts": 0, "orders_checked": 0, "orders_changed": 0, "fills_booked": 0,
                                      "drifts_reported": 0, "failed_accounts": []},
                "BrokerFunction": {"quote": None}}  # alice trades on paper here: no venue to ask
    assert result["response"] == expected[function]
