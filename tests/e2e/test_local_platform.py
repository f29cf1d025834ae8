"""`parley serve` for real, in its own process: the banner, an API walk on the replayed feed, and a prompt shutdown."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from infra.tokens import verify_token
from tests.e2e.platform_support import CLI_TIMEOUT, HOST, REPO, SECRET, Server, call, platform_env, start_server
from tests.e2e.platform_support import HTTP as HTTP  # re-exported: the web chat tests import it from here


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    yield from start_server(tmp_path, SECRET)


@pytest.fixture
def server_without_secret(tmp_path) -> Iterator[Server]:
    yield from start_server(tmp_path, None)


def banner_token(server: Server) -> str:
    found = re.search(r"export PARLEY_TOKEN=(\S+)", server.banner())
    assert found, server.banner()
    return found.group(1)


def test_the_server_prints_a_banner_with_the_docs_a_curl_example_and_a_working_token(server):
    banner = server.banner()
    assert "Parley is running." in banner
    assert f"{server.base}/docs" in banner
    assert f"curl -s -X POST {server.base}/v1/orders" in banner
    assert "Idempotency-Key" in banner
    assert "demo-quotes.jsonl" in banner
    claims = verify_token(banner_token(server), SECRET)
    assert claims["sub"] == "demo"
    status, body = call("GET", f"{server.base}/openapi.json")
    assert status == 200
    assert "/v1/orders" in body["paths"]


def test_a_market_buy_fills_from_the_replayed_feed_and_a_retry_returns_the_same_order(server):
    token = banner_token(server)
    order = {"symbol": "BTC-USD", "side": "buy", "quantity": "0.01", "order_type": "market"}  # trades 24x7
    key = str(uuid.uuid4())
    status, placed = call("POST", f"{server.base}/v1/orders", token=token, body=order, key=key)
    assert status == 201, placed
    assert placed["status"] == "filled"
    assert (placed["symbol"], placed["side"], Decimal(placed["filled_quantity"])) == ("BTC-USD", "buy", Decimal("0.01"))
    assert Decimal("85000") < Decimal(placed["average_price"]) < Decimal("105000")
    status, again = call("POST", f"{server.base}/v1/orders", token=token, body=order, key=key)
    assert status == 201, again
    assert again["id"] == placed["id"]
    status, held = call("GET", f"{server.base}/v1/positions", token=token)
    assert status == 200
    assert [(p["symbol"], Decimal(p["quantity"])) for p in held["positions"]] == [("BTC-USD", Decimal("0.01"))]


def test_an_order_without_a_token_or_an_idempotency_key_is_refused(server):
    order = {"symbol": "AAPL", "side": "buy", "quantity": "1"}
    status, body = call("POST", f"{server.base}/v1/orders", body=order, key=str(uuid.uuid4()))
    assert status == 401
    assert body["error"]["code"] == "missing_token"
    status, body = call("POST", f"{server.base}/v1/orders", token=banner_token(server), body=order)
    assert status == 400
    assert body["error"]["code"] == "idempotency_key_required"


def test_a_buy_limit_far_below_the_market_rests_as_an_open_order_with_a_cli_token(server_without_secret):
    server = server_without_secret
    token = server.cli.token("demo")  # signed with the secret file the server shares
    status, quote = call("GET", f"{server.base}/v1/quotes/ETH-USD", token=token)
    assert status == 200, quote
    # 5 % under the mid: far from any price the replay reaches, still inside the default 10 % price collar.
    limit = (Decimal(quote["mid"]) * Decimal("0.95")).quantize(Decimal("0.01"))
    order = {"symbol": "ETH-USD", "side": "buy", "quantity": "0.1", "order_type": "limit", "limit_price": str(limit)}
    status, placed = call("POST", f"{server.base}/v1/orders", token=token, body=order, key=str(uuid.uuid4()))
    assert status == 201, placed
    assert placed["status"] == "accepted"
    assert Decimal(placed["filled_quantity"]) == 0
    status, listed = call("GET", f"{server.base}/v1/orders?status=open", token=token)
    assert status == 200
    open_orders = {o["id"]: o for o in listed["orders"]}
    assert placed["id"] in open_orders
    assert Decimal(open_orders[placed["id"]]["limit_price"]) == limit
    assert all(o["status"] in ("accepted", "partially_filled") for o in listed["orders"])


def test_the_server_exits_promptly_when_terminated(tmp_path):
    servers = start_server(tmp_path, SECRET)
    server = next(servers)
    with pytest.raises(StopIteration):
        next(servers)  # terminates, waits STOP_TIMEOUT at most, kills (exit -9) if it did not stop
    # Uvicorn shuts down gracefully, then re-raises the SIGTERM it caught, so the exit status is -SIGTERM.
    assert server.process.returncode in (0, -signal.SIGTERM), server.logs()
    assert "Finished server process" in server.stderr.read_text(errors="replace"), server.logs()
    with pytest.raises(urllib.error.URLError):
        call("GET", f"{server.base}/health")


def test_a_busy_port_is_said_in_one_line_with_the_fix_and_no_token_is_printed(tmp_path):
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "local.cli", "serve", "--host", HOST, "--port", str(port)],
            cwd=tmp_path, env=platform_env(tmp_path, SECRET), capture_output=True, text=True, timeout=CLI_TIMEOUT,
        )
    assert run.returncode != 0
    assert run.stdout == ""  # no banner, so no token
    assert run.stderr.startswith(f"parley: port {port} on {HOST} is already in use"), run.stderr
    assert f"make run PORT={port + 1}" in run.stderr and run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


def test_the_chat_page_is_served_only_to_a_request_addressed_to_this_machine(server):
    port = server.base.rsplit(":", 1)[1]

    def page(host: str) -> int:
        request = urllib.request.Request(f"{server.base}/", headers={"Host": host})
        try:
            with HTTP.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as refused:
            with refused:
                assert b"eyJ" not in refused.read()  # no token in the refusal
                return refused.code

    assert page(f"127.0.0.1:{port}") == 200
    assert page(f"localhost:{port}") == 200
    assert page(f"evil.example:{port}") == 404
    assert page("evil.example") == 404


def test_make_run_takes_the_port_and_host():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PORT", "HOST")}
    run = subprocess.run(["make", "--no-print-directory", "-n", "run", "PORT=8101", "HOST=127.0.0.2"], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert run.returncode == 0, run.stderr
    [serve] = [line for line in run.stdout.splitlines() if "parley serve" in line]
    assert serve.endswith("parley serve --host 127.0.0.2 --port 8101")
