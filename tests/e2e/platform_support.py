"""Shared harness for the local platform tests: the `parley` CLI and `parley serve`, each in its own process.

Every test gets a fresh working directory, SQLite file and state directory. The server listens on a free
loopback port, replays the shipped demo feed, and is always terminated. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

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
        PARLEY_CALENDAR="always-open",  # the platform runs on the wall clock: keep every market open
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
    yield from serve(workdir, workdir, env, workdir)


def serve(server_dir: Path, cli_dir: Path, env: dict[str, str], logs: Path) -> Iterator[Server]:
    """`parley serve` on a free loopback port, run in ``server_dir``, with a CLI in ``cli_dir``; it is
    stopped when the generator is closed. Its output goes to ``logs``/server.out and server.err."""
    port = free_port()
    stdout, stderr = logs / "server.out", logs / "server.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.cli", "serve", "--host", HOST, "--port", str(port)],
            cwd=server_dir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
        )
    server = Server(f"http://{HOST}:{port}", Cli(cli_dir, env), process, stdout, stderr)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(process)
