"""`make deploy`'s steps as far as they run offline: deploy/deploy.sh hands sam the deploy configuration with no
questions asked, then the stack check reads the outputs (recorded CloudFormation answer), waits for /health
(recorded HTTP) and prints where things are and the next step."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import httpx
import respx

from local import deploy
from tests.infra.test_secrets_cli import described, recorded_cloudformation

ROOT = Path(__file__).resolve().parents[2]
API = "https://abc123.execute-api.eu-west-1.amazonaws.com"
OUTPUTS = {"ApiUrl": f"{API}/", "WebhookBaseUrl": API, "TableName": "parley-Table-1ABC"}


def test_the_deploy_script_packages_nothing_itself_and_runs_sam_then_the_stack_check(tmp_path) -> None:
    """sam deploy from the virtualenv with deploy/samconfig.toml, the change set applied without a prompt, then
    `python -m local.deploy` in the same region."""
    calls = tmp_path / "calls"
    for tool in ("sam", "python"):
        shim = tmp_path / tool
        shim.write_text(f'#!/bin/sh\necho "{tool} $* region=$AWS_DEFAULT_REGION" >> {calls}\n')
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "BIN": str(tmp_path), "AWS_REGION": "eu-west-1"}
    env.pop("PARLEY_CONFIG_ENV", None)
    (ROOT / "build" / "app").mkdir(parents=True, exist_ok=True)
    (ROOT / "build" / "layers").mkdir(parents=True, exist_ok=True)
    run = subprocess.run(["bash", str(ROOT / "deploy" / "deploy.sh")], env=env, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    sam, check = calls.read_text().splitlines()
    assert sam.startswith("sam deploy --config-file deploy/samconfig.toml --config-env default --region eu-west-1 ")
    assert "--no-confirm-changeset" in sam and "--no-fail-on-empty-changeset" in sam
    assert check == "python -m local.deploy --config-env default region=eu-west-1"


def test_the_deploy_script_asks_for_a_region_before_anything_else(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    run = subprocess.run(["bash", str(ROOT / "deploy" / "deploy.sh")], env={**env, "BIN": str(tmp_path)},
                         capture_output=True, text=True, check=False)
    assert run.returncode == 2 and "set AWS_REGION" in run.stderr


def test_the_stack_check_finds_the_api_waits_for_health_and_prints_the_next_step(monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    recorded_cloudformation(monkeypatch, ("parley", described("parley", OUTPUTS)))
    with respx.mock(assert_all_called=True) as web:
        health = web.get(f"{API}/health").mock(side_effect=[httpx.Response(503), httpx.Response(200, json={})])
        monkeypatch.setattr(deploy.time, "sleep", lambda seconds: None)
        assert deploy.main([]) == 0
    assert health.call_count == 2
    assert capsys.readouterr().out.splitlines() == [
        "stack parley: deployed",
        f"  API          {API}/  (/health answers 200)",
        f"  webhooks     {API}/webhooks/...",
        "  table        parley-Table-1ABC",
        "next: connect a Telegram bot (a token from @BotFather):",
        "  .venv/bin/parley secrets set telegram --token <bot token>",
        "  .venv/bin/parley telegram setup",
        "  (twilio, sendgrid, llm and broker keys: .venv/bin/parley secrets set <provider> --help)",
    ]


def test_a_stack_whose_health_never_answers_fails_the_deploy_and_says_where_to_look(monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    recorded_cloudformation(monkeypatch, ("parley", described("parley", OUTPUTS)))
    with respx.mock() as web:
        web.get(f"{API}/health").mock(return_value=httpx.Response(502))
        monkeypatch.setattr(deploy.time, "sleep", lambda seconds: None)
        assert deploy.main([]) == 1
    out = capsys.readouterr().out
    assert "DOES NOT ANSWER" in out and "/aws/lambda/parley-api" in out and "secrets set" not in out


def test_the_readme_deploy_section_shows_the_three_commands_and_what_make_deploy_prints() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Deploy to AWS\n"):readme.index("## Tests and benchmarks\n")]
    (_, commands), (_, shown) = re.findall(r"```(\w*)\n(.*?)```", section, re.S)[:2]
    assert [line.split("#")[0].strip() for line in commands.splitlines()] == [
        "make deploy", ".venv/bin/parley secrets set telegram --token 123456:ABC...", ".venv/bin/parley telegram setup"]
    lines = shown.splitlines()
    tail = lines[lines.index("stack parley: deployed"):]
    assert tail == deploy.summary("parley", OUTPUTS, up=True)[: len(tail)]
