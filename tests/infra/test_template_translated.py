"""The template as AWS reads it: every optional feature on, each parameter's value written in, the SAM transform
run, and the result linted clean by cfn-lint (so a list behind a `Ref` is checked against its resource's rules).
`make test` runs this file."""

from __future__ import annotations

import copy
import json

import pytest
from cfnlint.api import lint

from tests.infra.test_template_streams import TOPICS
from tests.infra.translated import literal_values, resolved, source, translated

AUTH_MODES = ("IAM", "SASL_SCRAM")  # the two exclusive MSK conditions: each deploy switches one on


@pytest.fixture(scope="module")
def template() -> dict:
    return source()


def every_feature_on(template: dict, auth: str) -> dict:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return translated(resolved(template, literal_values(template, MskAuth=auth)))


@pytest.mark.parametrize("auth", AUTH_MODES)
def test_the_translated_template_with_every_feature_on_lints_clean(template, auth) -> None:
    cloudformation = every_feature_on(template, auth)
    findings = [str(m) for m in lint(json.dumps(cloudformation), regions=["us-east-1"])]
    assert findings == []


def test_the_lint_catches_a_list_hidden_behind_a_parameter_ref(template) -> None:
    """Six topics on one MSK mapping (the template before one mapping per topic) fail the translated lint (E3032)."""
    template = copy.deepcopy(template)
    template["Parameters"]["MskTopics"] = {"Type": "CommaDelimitedList", "Default": ",".join(TOPICS)}
    template["Resources"]["MskConsumerFunction"]["Properties"]["Events"] = {
        "Kafka": {"Type": "MSK", "Properties": {
            "Stream": {"Ref": "MskClusterArn"}, "Topics": {"Ref": "MskTopics"}, "StartingPosition": "LATEST"}},
    }
    cloudformation = every_feature_on(template, "IAM")
    rules = {m.rule.id for m in lint(json.dumps(cloudformation), regions=["us-east-1"])}
    assert "E3032" in rules


def test_every_condition_of_the_template_is_true_in_one_of_the_linted_deploys(template) -> None:
    on = set().union(*(_true_conditions(template, literal_values(template, MskAuth=auth)) for auth in AUTH_MODES))
    assert on == set(template.get("Conditions", {}))


def _true_conditions(template: dict, values: dict) -> set[str]:
    """The conditions that hold for ``values`` (probed through one output per condition)."""
    probe = {name: {"Value": {"Fn::If": [name, "yes", "no"]}} for name in template.get("Conditions", {})}
    decided = resolved({**template, "Outputs": probe}, values)
    return {name for name, out in decided["Outputs"].items() if out["Value"] == "yes"}
