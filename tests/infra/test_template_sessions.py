"""The day-order sweep in the template: its own function on a one-minute schedule, the base layer only, the
table and nothing else; and no function is deployed with the demo calendar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from tests.infra.test_layers import attached_layers, layer_closure, populate_app, populate_site
from tests.infra.test_stream_layers import HEAVY, PROBE

ROOT = Path(__file__).resolve().parents[2]
EVENT = ROOT / "tests" / "events" / "eventbridge_scheduled.json"


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = decode_str((ROOT / "template.yaml").read_text())
    assert not problems, problems
    return decoded


def test_the_day_order_sweep_runs_every_minute_from_the_base_layer_with_the_table_only(template) -> None:
    sweep = template["Resources"]["DayOrderSweepFunction"]["Properties"]
    assert sweep["Handler"] == "functions.schedules.day_orders.handler"
    assert attached_layers(template, "DayOrderSweepFunction") == ["base"]
    [schedule] = sweep["Events"].values()
    assert schedule == {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "rate(1 minute)"}}
    assert sweep["Policies"] == [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "Table"}}}]
    assert sweep["LoggingConfig"] == {"LogGroup": {"Ref": "DayOrderSweepLogGroup"}}
    alarm = template["Resources"]["DayOrderSweepErrorsAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "DayOrderSweepFunction"}}]


def test_no_function_is_deployed_with_the_demo_calendar(template) -> None:
    environments = [template["Globals"]["Function"].get("Environment", {}).get("Variables", {})]
    environments += [
        res["Properties"].get("Environment", {}).get("Variables", {})
        for res in template["Resources"].values() if res["Type"] == "AWS::Serverless::Function"
    ]
    assert all("PARLEY_CALENDAR" not in variables for variables in environments)


def test_the_day_order_sweep_imports_and_answers_from_the_base_layer_alone(template, tmp_path) -> None:
    site, app = tmp_path / "layers", tmp_path / "app"
    site.mkdir()
    app.mkdir()
    populate_site(layer_closure(attached_layers(template, "DayOrderSweepFunction")), site)
    populate_app(app)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PARLEY_JWT_SECRET": "probe-secret-not-for-use",
        "PARLEY_FEED": "off", "POWERTOOLS_SERVICE_NAME": "parley", "POWERTOOLS_METRICS_NAMESPACE": "Parley",
    }
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, str(app), str(site), "functions.schedules.day_orders",
         EVENT.read_text()],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("PROBE ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    result = json.loads(lines[-1][len("PROBE "):])
    assert result["response"] == {"expired": 0}
    loaded = result["loaded"]
    assert not [m for m in loaded if m.split(".")[0] in (*HEAVY, "exchange_calendars", "pandas", "numpy")]
    assert not [m for m in loaded if m == "local" or m.startswith("local.")]
