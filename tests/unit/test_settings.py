"""Settings come from PARLEY_* variables, validated, with local defaults."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.settings import Settings, default_home, project_root
from local.feed import SHIPPED_FEED, feed_path

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_run_locally_on_sqlite_with_the_shipped_feed() -> None:
    settings = Settings.from_env({})
    assert settings.store_url == f"sqlite:///{ROOT / '.parley' / 'parley.db'}"
    assert feed_path(settings.feed) == SHIPPED_FEED
    assert settings.jwt_secret is None


def test_the_store_and_secret_do_not_depend_on_the_current_directory(tmp_path, monkeypatch) -> None:
    """A checkout keeps its state in <project root>/.parley, wherever a `parley` command is run from."""
    assert project_root() == ROOT and default_home() == ROOT
    here = Settings.from_env({})
    monkeypatch.chdir(tmp_path)
    there = Settings.from_env({})
    assert (there.store_url, there.state_dir) == (here.store_url, here.state_dir) == (
        f"sqlite:///{ROOT / '.parley' / 'parley.db'}", ROOT / ".parley")


def test_parley_home_moves_the_store_and_the_secret_together(tmp_path) -> None:
    settings = Settings.from_env({"PARLEY_HOME": str(tmp_path)})
    assert settings.state_dir == tmp_path / ".parley"
    assert settings.store_url == f"sqlite:///{tmp_path / '.parley' / 'parley.db'}"
    explicit = Settings.from_env({"PARLEY_HOME": str(tmp_path), "PARLEY_STORE_URL": "memory://"})
    assert (explicit.store_url, explicit.state_dir) == ("memory://", tmp_path / ".parley")


def test_outside_a_checkout_the_home_is_the_users_data_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("infra.settings.project_root", lambda: None)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_home() == tmp_path / "data" / "parley"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_home() == tmp_path / ".local" / "share" / "parley"


def test_parley_variables_set_their_fields_and_others_are_ignored() -> None:
    settings = Settings.from_env({
        "PARLEY_STORE_URL": "dynamodb://t", "PARLEY_FEED": "off", "PARLEY_SLIPPAGE_BPS": "2.5",
        "PARLEY_JWT_SECRET": "s" * 40, "PARLEY_STATE_DIR": "/tmp/p", "HOME": "/root", "PARLEY_UNKNOWN": "x",
    })
    assert settings.store_url == "dynamodb://t"
    assert feed_path(settings.feed) is None
    assert settings.slippage_bps == Decimal("2.5")
    assert settings.state_dir == Path("/tmp/p")
    assert "s" * 40 not in repr(settings)


def test_a_malformed_value_fails_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="feed_speed"):
        Settings.from_env({"PARLEY_FEED_SPEED": "fast"})

