"""The proof a signal request carries (core/signals.authenticate): the timestamp window has two edges (five
minutes into the past, a small clock skew into the future), and an unsigned body's replay key is its content,
not its bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.errors import Forbidden
from core.signals import CLOCK_SKEW, SIGNATURE_WINDOW, SignalMode, SignalSource, authenticate, signature

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
SOURCE = SignalSource(id="SRC1", account_id="alice", name="tv", mode=SignalMode.NOTIFY, secret="s3cret",
                      created_at=NOW)
BODY = b'{"text": "buy 1 AAPL"}'


def header(sent: int, body: bytes = BODY) -> str:
    return f"t={sent},v1={signature(SOURCE.secret, sent, body)}"


@pytest.mark.parametrize("offset", [-int(SIGNATURE_WINDOW.total_seconds()), 0, int(CLOCK_SKEW.total_seconds())])
def test_a_signature_inside_both_edges_of_the_window_is_accepted(offset: int) -> None:
    assert authenticate(SOURCE, header(int(NOW.timestamp()) + offset), BODY, NOW).startswith("signal:SRC1:")


@pytest.mark.parametrize("offset", [-int(SIGNATURE_WINDOW.total_seconds()) - 1, int(CLOCK_SKEW.total_seconds()) + 1,
                                    3600 * 24 * 365])
def test_a_signature_past_either_edge_is_refused(offset: int) -> None:
    with pytest.raises(Forbidden) as refused:
        authenticate(SOURCE, header(int(NOW.timestamp()) + offset), BODY, NOW)
    assert refused.value.code == "signature_expired"


def test_the_future_skew_is_small_so_a_replay_key_outlives_every_signature_it_refuses() -> None:
    from core.signals import REPLAY_TTL_SECONDS
    assert CLOCK_SKEW.total_seconds() <= 60
    assert (SIGNATURE_WINDOW + CLOCK_SKEW).total_seconds() <= REPLAY_TTL_SECONDS


def test_an_unsigned_body_reserialised_has_the_same_replay_key() -> None:
    fields = {"text": "buy 1 AAPL", "passphrase": SOURCE.secret}
    compact = json.dumps(fields, separators=(",", ":")).encode()
    spaced = json.dumps(dict(reversed(fields.items())), indent=2).encode()
    assert authenticate(SOURCE, None, compact, NOW) == authenticate(SOURCE, None, spaced, NOW)


def test_different_unsigned_content_has_different_replay_keys() -> None:
    one = json.dumps({"text": "buy 1 AAPL", "passphrase": SOURCE.secret}).encode()
    two = json.dumps({"text": "buy 2 AAPL", "passphrase": SOURCE.secret}).encode()
    assert authenticate(SOURCE, None, one, NOW) != authenticate(SOURCE, None, two, NOW)
