"""`parley token revoke --account X` in its own process: tokens printed before are refused after, new ones work,
and a --ttl beyond the maximum lifetime is refused up front."""

from __future__ import annotations

import pytest

from core.errors import Unauthorized
from infra.settings import Settings
from infra.stores import open_store
from infra.tokens import check_generation, verify_token
from tests.e2e.platform_support import SECRET, Cli, platform_env


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(tmp_path, platform_env(tmp_path, SECRET))


def test_token_revoke_refuses_the_tokens_issued_before_and_not_those_after(cli) -> None:
    assert cli("account", "create", "alice").returncode == 0
    before = cli.token("alice")
    revoked = cli("token", "revoke", "--account", "alice")
    assert revoked.returncode == 0, revoked.stderr
    assert "alice" in revoked.stdout and "revoked" in revoked.stdout
    after = cli.token("alice")
    store = open_store(cli.env["PARLEY_STORE_URL"])
    try:
        account = store.accounts.get("alice")
    finally:
        store.close()
    with pytest.raises(Unauthorized):
        check_generation(verify_token(before, SECRET), account)
    check_generation(verify_token(after, SECRET), account)


def test_a_ttl_beyond_the_maximum_lifetime_is_refused(cli) -> None:
    assert cli("account", "create", "alice").returncode == 0
    too_long = cli("token", "--account", "alice", "--ttl", str(Settings().jwt_max_ttl_seconds + 1))
    assert too_long.returncode == 2 and too_long.stdout == "" and "at most" in too_long.stderr
