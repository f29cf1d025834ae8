"""The deployment template keeps its promises: runtime, table schema, handler path, scoped permissions."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from cfnlint.api import lint_file
from cfnlint.decode import decode_str
from samtranslator.translator.transform import transform

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
LAYERS = ROOT / "layers"


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = decode_str(TEMPLATE.read_text())
    assert not problems, problems
    return decoded


def resources_of(template: dict, kind: str) -> dict[str, dict]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def function_settings(template: dict, name: str) -> dict:
    """A function's properties with the template's Globals.Function filled in beneath them."""
    merged = dict(template.get("Globals", {}).get("Function", {}))
    merged.update(template["Resources"][name]["Properties"])
    return merged


class _ManagedPolicies:
    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        }


@pytest.fixture(scope="module")
def transformed(template: dict) -> dict:
    """The template as CloudFormation sees it after the SAM transform (local artifact paths stubbed)."""
    fragment = copy.deepcopy(_plain(template))
    for res in fragment["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in res.get("Properties", {}):
                res["Properties"][key] = "s3://artifacts/parley.zip"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transform(fragment, {}, _ManagedPolicies())


def _plain(node):
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return str(node) if isinstance(node, str) else node


def test_cfn_lint_reports_no_findings_on_the_template():
    assert [str(match) for match in lint_file(TEMPLATE)] == []


def test_every_function_runs_python_3_12_or_newer_on_arm64(template):
    functions = resources_of(template, "AWS::Serverless::Function")
    assert functions
    for name in functions:
        settings = function_settings(template, name)
        version = re.fullmatch(r"python3\.(\d+)", settings["Runtime"])
        assert version and int(version.group(1)) >= 12, (name, settings["Runtime"])
        assert settings["Architectures"] == ["arm64"], name
        assert settings["Tracing"] == "Active", name
        assert {"Ref": "BaseLayer"} in settings["Layers"], name


def test_the_layers_are_built_for_the_functions_runtime_and_architecture(template):
    layers = resources_of(template, "AWS::Serverless::LayerVersion")
    assert sorted(layers) == ["AgentLayer", "ApiLayer", "BaseLayer", "BrokersLayer", "ChannelsLayer"]
    for name, layer in layers.items():
        props = layer["Properties"]
        assert props["ContentUri"] == f"build/layers/{name.removesuffix('Layer').lower()}/", name
        assert props["CompatibleRuntimes"] == [template["Globals"]["Function"]["Runtime"]], name
        assert props["CompatibleArchitectures"] == ["arm64"], name


def test_the_table_has_exactly_the_single_table_keys_indexes_and_ttl(template):
    table = template["Resources"]["Table"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == {
        "PK": "S",
        "SK": "S",
        "GSI1PK": "S",
        "GSI1SK": "S",
        "GSI2PK": "S",
        "GSI2SK": "S",
    }
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    indexes = {gsi["IndexName"]: gsi for gsi in props["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["GSI1", "GSI2"]
    for name, gsi in indexes.items():
        assert gsi["KeySchema"] == [
            {"AttributeName": f"{name}PK", "KeyType": "HASH"},
            {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
        ]
        assert gsi["Projection"] == {"ProjectionType": "ALL"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_the_table_survives_a_stack_delete_or_replacement(template):
    table = template["Resources"]["Table"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_the_api_function_serves_every_route_of_the_http_api(template):
    api = template["Resources"]["ApiFunction"]
    assert api["Type"] == "AWS::Serverless::Function"
    props = api["Properties"]
    assert props["Handler"] == "functions.api.handler.handler"
    assert props["CodeUri"] == "build/app/"
    events = [e for e in props["Events"].values() if e["Type"] == "HttpApi"]
    assert len(events) == 1
    # Without Path and Method, SAM binds the $default route.
    assert events[0]["Properties"] == {"ApiId": {"Ref": "HttpApi"}}


def test_the_jwt_secret_is_generated_and_handed_to_functions_by_arn(template):
    secret = template["Resources"]["JwtSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] == 64
    assert generated["ExcludePunctuation"] is True
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["PARLEY_JWT_SECRET_ARN"] == {"Ref": "JwtSecret"}
    assert env["PARLEY_STORE_URL"] == {"Fn::Sub": "dynamodb://${Table}"}
    assert env["PARLEY_FEED"] == "off"


VENUE_FUNCTIONS = ("BrokerFunction", "ReconcileFunction")  # the functions that hold the venue adapters
# Each messenger function reads only its providers' secrets; the webhooks write only to the conversation queue.
CHANNEL_SECRETS = {
    "TelegramWebhookFunction": {"TelegramSecret"},
    "TwilioWebhookFunction": {"TwilioSecret"},
    "SendGridWebhookFunction": {"SendGridSecret"},
    "ConversationWorkerFunction": {"TelegramSecret", "TwilioSecret", "SendGridSecret", "LlmSecret"},
    "NotifyWorkerFunction": {"TelegramSecret", "TwilioSecret", "SendGridSecret"},
}
WEBHOOK_FUNCTIONS = ("TelegramWebhookFunction", "TwilioWebhookFunction", "SendGridWebhookFunction")


def test_function_policies_are_sam_templates_scoped_to_the_table_and_the_secret(template):
    for name in resources_of(template, "AWS::Serverless::Function"):
        for policy in template["Resources"][name]["Properties"].get("Policies", []):
            assert isinstance(policy, dict) and len(policy) == 1, (name, policy)
            ((kind, args),) = policy.items()
            if kind == "Ref":  # the table's managed policies (test_template_privileges checks their actions)
                assert args in ("TableReadWritePolicy", "TableReadPolicy"), name
            elif kind == "AWSSecretsManagerGetSecretValuePolicy" and name in VENUE_FUNCTIONS:
                assert args == {"SecretArn": {"Ref": "BrokerSecret"}}, name  # venue credentials: only these two
            elif kind == "AWSSecretsManagerGetSecretValuePolicy" and name in CHANNEL_SECRETS:
                assert args["SecretArn"]["Ref"] in CHANNEL_SECRETS[name], name
            elif kind == "AWSSecretsManagerGetSecretValuePolicy" and name == "ApiFunction":
                assert args["SecretArn"]["Ref"] in {"JwtSecret", "LlmSecret"}, name
            elif kind == "AWSSecretsManagerGetSecretValuePolicy":
                assert args == {"SecretArn": {"Ref": "JwtSecret"}}
            elif kind == "LambdaInvokePolicy":
                assert args == {"FunctionName": {"Ref": "BrokerFunction"}}, name
            elif kind == "SQSSendMessagePolicy" and name == "TwilioWebhookFunction":  # status callbacks re-notify
                assert args["QueueName"]["Fn::GetAtt"] in (["ConversationQueue", "QueueName"],
                                                           ["NotifyQueue", "QueueName"]), name
            elif kind == "SQSSendMessagePolicy" and name in WEBHOOK_FUNCTIONS:
                assert args == {"QueueName": {"Fn::GetAtt": ["ConversationQueue", "QueueName"]}}, name
            elif kind == "SQSSendMessagePolicy":
                assert args == {"QueueName": {"Fn::GetAtt": ["NotifyQueue", "QueueName"]}}, name
            else:
                assert kind == "Statement", (name, kind)
                statements = args if isinstance(args, list) else [args]
                assert all(s.get("Resource") not in ("*", ["*"]) for s in statements), (name, args)


LLM_FUNCTIONS = {"ApiFunction", "ConversationWorkerFunction"}  # the two that talk to the chat model


def test_the_model_key_is_a_secret_only_the_two_llm_functions_can_name_or_read(template):
    """No plaintext key in any function's environment; the secret's ARN and the right to read it go to the API
    and the conversation worker only."""
    assert "OPENAI_API_KEY" not in template["Globals"]["Function"]["Environment"]["Variables"]
    assert not any("NoEcho" in p for p in template["Parameters"].values())
    named, readers = set(), set()
    for name in resources_of(template, "AWS::Serverless::Function"):
        props = template["Resources"][name]["Properties"]
        env = props.get("Environment", {}).get("Variables", {})
        assert "OPENAI_API_KEY" not in env, name
        if env.get("PARLEY_LLM_SECRET_ARN") == {"Ref": "LlmSecret"}:
            named.add(name)
        if {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "LlmSecret"}}} in props.get("Policies", []):
            readers.add(name)
    assert named == readers == LLM_FUNCTIONS


def test_no_inline_policy_statement_grants_a_wildcard_resource(transformed):
    roles = {k: r for k, r in transformed["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert roles
    inline = [
        branch
        for role in roles.values()
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        for branch in _branches(statement)
    ]
    assert inline
    for statement in inline:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources, statement


def _branches(statement: dict) -> list[dict]:
    """A statement, or both branches of a conditional one ({"Fn::If": [condition, then, else]}), less NoValue."""
    if "Fn::If" not in statement:
        return [statement]
    _, then, otherwise = statement["Fn::If"]
    return [s for s in (then, otherwise) if s != {"Ref": "AWS::NoValue"}]


def test_the_outputs_give_the_api_url_table_name_and_secret_arn(template):
    outputs = template["Outputs"]
    assert outputs["ApiUrl"]["Value"] == {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"}
    assert outputs["TableName"]["Value"] == {"Ref": "Table"}
    assert outputs["JwtSecretArn"]["Value"] == {"Ref": "JwtSecret"}


def test_the_layer_requirements_leave_out_what_the_runtime_ships_and_the_local_server():
    names = {
        re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0].lower().replace("_", "-")
        for layer in ("base", "api", "agent")
        for line in (LAYERS / layer / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    assert names == {
        "pydantic", "fastapi", "mangum", "aws-lambda-powertools", "pyjwt", "langchain",
        "langchain-openai", "swagger-ui-bundle-v2", "tzdata",
    }
    assert not names & {"boto3", "botocore", "uvicorn"}


@pytest.mark.parametrize("function", ["NotifyWorkerFunction", "ConversationWorkerFunction"])
def test_the_workers_that_send_by_twilio_know_the_apis_own_url_for_status_callbacks(transformed, function) -> None:
    """A stack deployed without PublicBaseUrl still asks Twilio for status callbacks (a failed WhatsApp send falls
    back to the next channel): the workers that send get the public base, else the API's own URL."""
    variables = transformed["Resources"][function]["Properties"]["Environment"]["Variables"]
    condition, public, own = variables["PARLEY_PUBLIC_BASE_URL"]["Fn::If"]
    assert condition == "HasPublicBaseUrl" and public == {"Ref": "PublicBaseUrl"}
    assert own == {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
