"""The broker and reconciliation functions import and answer from exactly the layers the template attaches
(base and brokers, plus what the Lambda runtime ships), with the virtualenv's site-packages off the path; the
venue adapters import there too. Offline: nothing is downloaded, no venue is called."""

from __future__ import annotations

import json

import pytest
from cfnlint.decode import decode_str

from tests.infra.handler_probe import run_handler
from tests.infra.test_layers import ROOT, attached_layers

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
    handler = template["Resources"][function]["Properties"]["Handler"].rsplit(".", 1)[0]
    result = run_handler(tmp_path, handler, layers, json.dumps(event),
                         also_imports=("infra.brokers.alpaca", "infra.brokers.exchange"))  # the adapters load
    heavy = [m for m in result["loaded"] if m.split(".")[0] in ("langchain", "openai", "fastapi", "mangum")]
    assert not heavy and not [m for m in result["loaded"] if m.split(".")[0] == "local"]
    expected = {"ReconcileFunction": {"accounts": 0, "orders_checked": 0, "orders_changed": 0, "fills_booked": 0,
                                      "drifts_reported": 0, "failed_accounts": []},
                "BrokerFunction": {"quote": None}}  # alice trades on paper here: no venue to ask
    assert result["response"] == expected[function]
