"""The local server's own decisions."""

from __future__ import annotations


def test_the_chat_page_is_served_only_on_a_loopback_host() -> None:
    from local.server import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.7") and not is_loopback("example.test")
