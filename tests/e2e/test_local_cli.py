"""The `parley` CLI for real, in its own process and directory: accounts, and tokens signed with the right secret."""

from __future__ import annotations

import subprocess

import pytest

from infra.tokens import verify_token
from tests.e2e.platform_support import SECRET, Cli, platform_env


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(tmp_path, platform_env(tmp_path, SECRET))


@pytest.fixture
def cli_without_secret(tmp_path) -> Cli:
    return Cli(tmp_path, platform_env(tmp_path, None))


def assert_clean_refusal(run: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert run.returncode == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("parley: ")
    for phrase in phrases:
        assert phrase in run.stderr


def test_an_admin_account_gets_a_token_signed_with_the_configured_secret(cli):
    created = cli("account", "create", "ops", "--admin")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created account ops (admin)"
    claims = verify_token(cli.token("ops"), SECRET)
    assert (claims["sub"], claims["role"], claims["iss"]) == ("ops", "admin", "parley")
    assert claims["exp"] > claims["iat"]
    assert not cli.secret_file.exists()


def test_without_a_configured_secret_tokens_are_signed_with_a_private_secret_kept_in_the_state_dir(
    cli_without_secret,
):
    cli = cli_without_secret
    assert cli("account", "create", "ops", "--admin").returncode == 0
    first = cli.token("ops")
    assert cli.secret_file.exists()
    assert cli.secret_file.stat().st_mode & 0o777 == 0o600
    secret = cli.secret_file.read_text().strip()
    assert len(secret) >= 32
    assert verify_token(first, secret)["sub"] == "ops"
    assert verify_token(cli.token("ops"), secret)["sub"] == "ops"  # the next run reuses the same secret
    assert cli.secret_file.read_text().strip() == secret


def test_creating_the_same_account_twice_fails_with_a_clear_message(cli):
    assert cli("account", "create", "ops", "--admin").returncode == 0
    again = cli("account", "create", "ops")
    assert_clean_refusal(again, "ops", "already exists")


def test_a_token_for_the_demo_account_creates_it_on_an_empty_store(cli):
    claims = verify_token(cli.token("demo"), SECRET)
    assert (claims["sub"], claims["role"]) == ("demo", "trader")
    assert verify_token(cli.token("demo"), SECRET)["sub"] == "demo"  # and finds it the second time


def test_a_token_for_an_account_that_does_not_exist_is_refused(cli):
    assert_clean_refusal(cli("token", "--account", "nobody"), "nobody", "not found")


def test_an_invalid_account_id_is_refused_saying_which_characters_are_allowed(cli):
    run = cli("account", "create", "bad id!")
    assert_clean_refusal(run, "'bad id!' is not a valid account id", "1 to 64 of the characters A-Z, a-z, 0-9")
    assert "configuration" not in run.stderr


def test_commands_run_from_any_directory_share_one_store_and_one_secret(tmp_path):
    """No PARLEY_STORE_URL or PARLEY_STATE_DIR: PARLEY_HOME alone decides where .parley/ is, not the cwd."""
    env = {k: v for k, v in platform_env(tmp_path, None).items() if k not in ("PARLEY_STORE_URL", "PARLEY_STATE_DIR")}
    env["PARLEY_HOME"] = str(tmp_path / "home")
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    assert Cli(here, env)("account", "create", "ops", "--admin").returncode == 0
    token = Cli(there, env).token("ops")  # the account made "here" is found "there", signed with one secret
    secret = (tmp_path / "home" / ".parley" / "jwt-secret").read_text().strip()
    assert verify_token(token, secret)["sub"] == "ops"
    assert not (here / ".parley").exists() and not (there / ".parley").exists()


def test_parley_eval_scores_the_projects_utterances_from_any_directory(tmp_path, cli):
    run = cli("eval")
    assert "Command grammar" in run.stdout, run.stderr
    assert "Traceback" not in run.stderr and "No such file" not in run.stderr
