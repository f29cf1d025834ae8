"""The local server's own decisions: which hosts are this machine, the chat page's Host check, a busy port."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient

from core import usecases as uc
from functions.api.app import create_app
from infra.bootstrap import build_platform
from infra.settings import Settings
from infra.stores import open_store
from local.net import CannotListen, bind, is_local_host_header, is_loopback
from local.web import mount_chat_page

PORT = 8101


def test_loopback_names_and_addresses_are_this_machine() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("[::1]")
    assert is_loopback("127.0.0.2") and is_loopback("LOCALHOST") and is_loopback("localhost.")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.7") and not is_loopback("example.test")
    assert not is_loopback("127.0.0.1.evil.example") and not is_loopback("0177.0.0.1")


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1:8101", True), ("localhost:8101", True), ("[::1]:8101", True), ("LocalHost:8101", True),
    ("evil.example:8101", False), ("127.0.0.1:8000", False), ("127.0.0.1", False), ("localhost", False),
    ("127.0.0.1:8101.evil.example", False), ("127.0.0.1:abc", False), ("", False), (None, False),
    ("[::1]:99999", False), ("evil.example", False),
])
def test_a_host_header_is_local_only_with_a_loopback_name_and_the_servers_port(host, local) -> None:
    assert is_local_host_header(host, PORT) is local


@pytest.fixture
def client(tmp_path):
    platform = build_platform(Settings(home=tmp_path, feed="off"), store=open_store("memory://"), secret="z" * 40)
    uc.ensure_account(platform.deps, "demo")
    app = create_app(platform)
    mount_chat_page(app, platform, PORT)
    return TestClient(app)


def test_the_chat_page_and_its_token_go_only_to_a_request_addressed_to_this_machine(client) -> None:
    page = client.get("/", headers={"Host": f"127.0.0.1:{PORT}"})
    assert page.status_code == 200 and "__PARLEY_TOKEN__" not in page.text
    assert client.get("/", headers={"Host": f"localhost:{PORT}"}).status_code == 200
    for host in (f"evil.example:{PORT}", "evil.example", f"127.0.0.1:{PORT + 1}"):
        refused = client.get("/", headers={"Host": host})
        assert refused.status_code == 404, host
        assert refused.json() == {"error": {"code": "not_found", "message": "Not Found"}}
        assert "eyJ" not in refused.text  # no token in any form


def test_a_busy_port_is_found_before_serving_and_said_with_the_fix() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CannotListen) as refused:
            bind("127.0.0.1", port)
    message = refused.value.message
    assert f"port {port} on 127.0.0.1 is already in use" in message
    assert f"make run PORT={port + 1}" in message and "\n" not in message
    free = bind("127.0.0.1", port)  # once the other listener is gone the port is ours
    free.close()
