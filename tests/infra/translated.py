"""template.yaml as AWS reads it on a deploy: parameters written in literally, conditions decided, then the SAM
transform. A `Ref` to a parameter hides what it stands for from cfn-lint (six topics behind `!Ref MskTopics`
look like one value); with the values written in, the translated resources are checked as CloudFormation and
Lambda will check them."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str
from samtranslator.translator.transform import transform

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
NO_VALUE = {"Ref": "AWS::NoValue"}

# Every optional feature switched on: a value for each parameter whose empty default turns a feature off.
FEATURES_ON = {
    "AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:parley-alarms",
    "LlmBaseUrl": "https://llm.example.com/v1",
    "MskClusterArn": "arn:aws:kafka:us-east-1:123456789012:cluster/parley-msk/751d2973-a626-431c-9d4e-d7975eb44dd7-2",
    "MskScramSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_parley-AbCdEf",
    "MskScramKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "MskVpcId": "vpc-0123456789abcdef0",
    "MskSubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "MskSecurityGroupId": "sg-0123456789abcdef0",
    "MskVpcEndpoints": "true",
    "BrokerAccounts": "alice=alpaca:paper,bob=binance:sandbox",
    "LiveTrading": "1",
    "PublicBaseUrl": "https://parley.example.com",
    "TwilioSmsFrom": "+15550001111",
    "TwilioWhatsAppFrom": "whatsapp:+15550001111",
    "TwilioWhatsAppTemplateSid": "HX0123456789abcdef0123456789abcdef",
    "SendGridFromEmail": "parley@example.com",
}


def source() -> dict:
    decoded, problems = decode_str(TEMPLATE.read_text())
    assert not problems, problems
    return _plain(decoded)


def literal_values(template: dict, **chosen: str) -> dict[str, Any]:
    """Each parameter's value: ``chosen``, else FEATURES_ON, else its default; comma lists as lists."""
    values: dict[str, Any] = {}
    for name, spec in template.get("Parameters", {}).items():
        value = chosen.get(name, FEATURES_ON.get(name, spec.get("Default", "")))
        if spec["Type"] in ("CommaDelimitedList", "List<String>") or spec["Type"].startswith("List<AWS::"):
            value = [item.strip() for item in str(value).split(",")] if value != "" else []
        values[name] = value
    return values


def resolved(template: dict, values: dict[str, Any]) -> dict:
    """The template with parameters replaced by ``values`` and every condition decided (resources whose
    condition is false removed, each Fn::If replaced by its branch)."""
    params = set(template.get("Parameters", {}))
    conditions: dict[str, bool] = {}
    raw_conditions = template.get("Conditions", {})

    def condition(name: str) -> bool:
        if name not in conditions:
            conditions[name] = decide(substitute(raw_conditions[name]))
        return conditions[name]

    def substitute(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Ref"} and node["Ref"] in params:
                return copy.deepcopy(values[node["Ref"]])
            if set(node) == {"Fn::Sub"}:
                text = _sub(node["Fn::Sub"], values, params, substitute)
                return text if isinstance(text, str) and "${" not in text else {"Fn::Sub": text}
            if set(node) == {"Fn::If"}:
                name, then, otherwise = node["Fn::If"]
                return substitute(then if condition(name) else otherwise)
            return {k: substitute(v) for k, v in node.items()}
        if isinstance(node, list):
            return [substitute(v) for v in node]
        return node

    def decide(node: Any) -> bool:
        ((fn, args),) = node.items()
        if fn == "Condition":
            return condition(args)
        if fn == "Fn::Equals":
            return args[0] == args[1]
        if fn == "Fn::Not":
            return not decide(args[0])
        if fn == "Fn::And":
            return all(decide(a) for a in args)
        if fn == "Fn::Or":
            return any(decide(a) for a in args)
        raise AssertionError(f"unhandled condition function {fn}")

    out = {k: v for k, v in template.items() if k not in ("Parameters", "Conditions")}
    sections = {}
    for section in ("Resources", "Outputs"):
        kept = {}
        for name, body in template.get(section, {}).items():
            if "Condition" in body and not condition(body["Condition"]):
                continue
            kept[name] = _drop_no_value(substitute({k: v for k, v in body.items() if k != "Condition"}))
        sections[section] = kept
    out.update(sections)
    out["Globals"] = _drop_no_value(substitute(template.get("Globals", {})))
    return out


def translated(template: dict) -> dict:
    """The SAM transform's output (local artifact paths stubbed with an S3 location)."""
    fragment = copy.deepcopy(template)
    for res in fragment["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in res.get("Properties", {}):
                res["Properties"][key] = "s3://artifacts/parley.zip"
    return transform(fragment, {}, ManagedPolicies())


class ManagedPolicies:
    """The two AWS managed policies SAM attaches to every function, without asking IAM for their ARNs."""

    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        }


def _sub(arg: Any, values: dict[str, Any], params: set[str], substitute: Any) -> Any:
    text, names = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

    def literal(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in params and name not in names:
            value = values[name]
            return ",".join(value) if isinstance(value, list) else str(value)
        return match.group(0)

    text = re.sub(r"\$\{([A-Za-z0-9_]+)\}", literal, text)
    return text if isinstance(arg, str) else [text, substitute(names)]


def _drop_no_value(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_no_value(v) for k, v in node.items() if v != NO_VALUE}
    if isinstance(node, list):
        return [_drop_no_value(v) for v in node if v != NO_VALUE]
    return node


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return str(node) if isinstance(node, str) else node
