"""The day-order sweep in the template: its own function on a one-minute schedule, the base layer only, the
table and nothing else; and no function is deployed with the demo calendar."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from tests.infra.handler_probe import run_handler
from tests.infra.test_layers import attached_layers
from tests.infra.test_stream_layers import HEAVY

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
    assert sweep["Policies"] == [{"Ref": "TableReadWritePolicy"}]
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
    layers = attached_layers(template, "DayOrderSweepFunction")
    result = run_handler(tmp_path, "functions.schedules.day_orders", layers, EVENT.read_text(), timeout=120)
    assert result["response"] == {"expired": 0, "closes": 0}
    loaded = result["loaded"]
    assert not [m for m in loaded if m.split(".")[0] in (*HEAVY, "exchange_calendars", "pandas", "numpy")]
    assert not [m for m in loaded if m == "local" or m.startswith("local.")]
