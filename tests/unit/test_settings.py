"""Settings come from PARLEY_* variables, validated, with local defaults."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.settings import DEFAULT_STORE_URL, Settings
from local.feed import SHIPPED_FEED, feed_path


def test_defaults_run_locally_on_sqlite_with_the_shipped_feed() -> None:
    settings = Settings.from_env({})
    assert settings.store_url == DEFAULT_STORE_URL
    assert feed_path(settings.feed) == SHIPPED_FEED
    assert settings.jwt_secret is None


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

