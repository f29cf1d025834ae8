"""The local platform for real: the `parley` CLI and `parley serve`, each in its own process and directory.

Every test gets a fresh working directory, SQLite file and state directory. The server listens on a free
loopback port, replays the shipped demo feed, and is always terminated. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from infra.tokens import verify_token

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
SECRET = "e2e-secret-for-local-platform-tests-0123456789"
CLI_TIMEOUT = 60
START_TIMEOUT = 30
STOP_TIMEOUT = 15
# Loopback only: never let a proxy from the environment see these requests.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def platform_env(workdir: Path, secret: str | None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("PARLEY_", "AWS_LAMBDA_", "LAMBDA_TASK_ROOT"))
    }
    env.update(
        PYTHONPATH=str(REPO),
        PARLEY_STORE_URL=f"sqlite:///{workdir / 'p.db'}",
        PARLEY_STATE_DIR=str(workdir / ".parley"),
        PYTHONUNBUFFERED="1",
    )
    if secret is not None:
        env["PARLEY_JWT_SECRET"] = secret
    return env


@dataclass
class Cli:
    workdir: Path
    env: dict[str, str]

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "local.cli", *args],
            cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=CLI_TIMEOUT,
        )

    def token(self, account: str) -> str:
        run = self("token", "--account", account)
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    @property
    def secret_file(self) -> Path:
        return self.workdir / ".parley" / "jwt-secret"


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


# -- the CLI --------------------------------------------------------------------------------------


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


# -- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def call(
    method: str, url: str, *, token: str | None = None, body: dict | None = None, key: str | None = None
) -> tuple[int, dict]:
    headers = {"Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with HTTP.open(request, timeout=10) as response:
            return response.status, json.loads(response.read(), parse_float=Decimal)
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, json.loads(refused.read() or b"{}", parse_float=Decimal)


@dataclass
class Server:
    base: str
    cli: Cli
    process: subprocess.Popen
    stdout: Path
    stderr: Path

    def banner(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def logs(self) -> str:
        return f"--- stdout\n{self.banner()}\n--- stderr\n{self.stderr.read_text(errors='replace')[-4000:]}"


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited with {server.process.returncode} before it was healthy\n{server.logs()}")
        try:
            status, body = call("GET", f"{server.base}/health")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
            continue
        if status == 200 and body.get("status") == "ok":
            return
        time.sleep(0.2)
    pytest.fail(f"the server did not answer /health within {START_TIMEOUT} s\n{server.logs()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


def start_server(workdir: Path, secret: str | None, feed_speed: str = "50") -> Iterator[Server]:
    env = platform_env(workdir, secret)
    env["PARLEY_FEED_SPEED"] = feed_speed  # PARLEY_FEED stays unset: the shipped demo feed is replayed
    env.pop("OPENAI_API_KEY", None)  # commands only: the grammar answers, no model is called
    port = free_port()
    stdout, stderr = workdir / "server.out", workdir / "server.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.cli", "serve", "--host", HOST, "--port", str(port)],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
        )
    server = Server(f"http://{HOST}:{port}", Cli(workdir, env), process, stdout, stderr)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(process)
    assert process.returncode is not None


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
    order = {"symbol": "AAPL", "side": "buy", "quantity": "10", "order_type": "market"}
    key = str(uuid.uuid4())
    status, placed = call("POST", f"{server.base}/v1/orders", token=token, body=order, key=key)
    assert status == 201, placed
    assert placed["status"] == "filled"
    assert (placed["symbol"], placed["side"], Decimal(placed["filled_quantity"])) == ("AAPL", "buy", Decimal(10))
    assert Decimal("200") < Decimal(placed["average_price"]) < Decimal("260")
    status, again = call("POST", f"{server.base}/v1/orders", token=token, body=order, key=key)
    assert status == 201, again
    assert again["id"] == placed["id"]
    status, held = call("GET", f"{server.base}/v1/positions", token=token)
    assert status == 200
    assert [(p["symbol"], Decimal(p["quantity"])) for p in held["positions"]] == [("AAPL", Decimal(10))]


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
    status, quote = call("GET", f"{server.base}/v1/quotes/AAPL", token=token)
    assert status == 200, quote
    # 5 % under the mid: far from any price the replay reaches, still inside the default 10 % price collar.
    limit = (Decimal(quote["mid"]) * Decimal("0.95")).quantize(Decimal("0.01"))
    order = {"symbol": "AAPL", "side": "buy", "quantity": "3", "order_type": "limit", "limit_price": str(limit)}
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
