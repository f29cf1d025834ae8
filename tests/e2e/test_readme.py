"""The README's walkthrough, run as written against a live `parley serve`: its commands are read from
README.md itself (so the two cannot drift) and their outputs compared with the ones it shows.

Only what must differ is adapted: the server listens on a free port instead of 8000, `.venv/bin/parley`
is this interpreter's `parley`, and the values that change from run to run (ids, prices, times, the
confirmation code) are compared by their form. No PARLEY_JWT_SECRET and no store URL are set: as on a
first run, PARLEY_HOME alone decides where the store and the secret are, and the server and the commands
run from different directories.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path

import pytest

from tests.e2e.platform_support import CLI_TIMEOUT, HOST, REPO, Server, serve

README = REPO / "README.md"
README_BASE = "http://127.0.0.1:8000"
PROMPT = "you> "
ORDER_ID = re.compile(r"\b(?=[0-9A-Z]*\d)[0-9A-Z]{10}\b")
NUMBER = re.compile(r"\d[\d,.:]*\d|\d")
VARYING = {  # order fields that change from run to run, and the form they must have
    "id": ORDER_ID, "average_price": re.compile(r"\d+(\.\d+)?"),
    "created_at": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)"),
}

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the README's commands use curl")


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    start, end = text.index("\n## Try it\n"), text.index("\n## What is in it\n")
    return text[start:end]


def blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w*)\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def block(text: str, lang: str, first_line: str) -> str:
    found = [body for kind, body in blocks(text) if kind == lang and body.startswith(first_line)]
    assert len(found) == 1, f"one ```{lang} block starting {first_line!r} in the README's walkthrough"
    return found[0]


def line_pattern(line: str, literal: str = "") -> re.Pattern[str]:
    """A README output line as a pattern: order ids and numbers that vary keep only their form; single digits
    (button numbers) and numbers typed in ``literal`` stay as written; ``<...>`` and ``...`` stand for
    anything."""
    out, pos = [], 0
    for match in re.finditer(rf"{ORDER_ID.pattern}|{NUMBER.pattern}|<[^>]+>|\.\.\.", line):
        out.append(re.escape(line[pos:match.start()]))
        token = match.group()
        if token.startswith("<") or token == "...":
            out.append(".+")
        elif ORDER_ID.fullmatch(token):
            out.append("[0-9A-Z]{10}")
        elif len(token) == 1 or token in literal.split():
            out.append(re.escape(token))
        else:
            out.append(r"[\d,.:]+")
        pos = match.end()
    out.append(re.escape(line[pos:]))
    return re.compile("".join(out))


def assert_lines_match(expected: list[str], actual: list[str], literal: str = "") -> None:
    assert len(actual) == len(expected), (expected, actual)
    for want, got in zip(expected, actual, strict=True):
        assert line_pattern(want, literal).fullmatch(got), (want, got)


@dataclass
class Shell:
    """Runs README shell blocks as a trader would, in one folder, against the live server."""

    workdir: Path
    env: dict[str, str]
    base: str

    def run(self, script: str) -> list[str]:
        # Each curl answer on a line of its own (the README's curl commands print JSON with no newline).
        prelude = "set -euo pipefail\ncurl() { command curl \"$@\"; echo; }\n"
        done = subprocess.run(
            ["bash", "-c", prelude + script.replace(README_BASE, self.base)],
            cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=CLI_TIMEOUT,
        )
        assert done.returncode == 0, (script, done.stdout, done.stderr)
        return [line for line in done.stdout.splitlines() if line.strip()]


def json_lines(lines: list[str]) -> list[dict]:
    answers = [json.loads(line) for line in lines]
    assert not [a for a in answers if "error" in a], answers
    return answers


@pytest.fixture
def first_run(tmp_path) -> Iterator[tuple[Server, Shell]]:
    """`parley serve` started in one folder, and a shell in another with `.venv/bin/parley` in it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PARLEY_", "AWS_LAMBDA_", "LAMBDA_TASK_ROOT", "OPENAI_"))}
    env.update(PARLEY_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    shell_dir, server_dir = tmp_path / "shell", tmp_path / "server"
    wrapper = shell_dir / ".venv" / "bin" / "parley"
    wrapper.parent.mkdir(parents=True)
    server_dir.mkdir()
    wrapper.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m local.cli \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    for server in serve(server_dir, shell_dir, env, tmp_path):
        yield server, Shell(shell_dir, env, server.base)


class Console:
    """`parley chat` on pipes: type a line, read what it answers up to the next prompt (bounded waits)."""

    def __init__(self, command: list[str], shell: Shell) -> None:
        self.process = subprocess.Popen(
            command, cwd=shell.workdir, env=shell.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        self.chunks: queue.Queue[str] = queue.Queue()
        self.buffer = ""
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for char in iter(lambda: self.process.stdout.read(1), ""):
            self.chunks.put(char)

    def until_prompt(self, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while PROMPT not in self.buffer:
            try:
                self.buffer += self.chunks.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no prompt within {timeout} s; the console said {self.buffer!r}")
        said, self.buffer = self.buffer.split(PROMPT, 1)
        return said.splitlines()

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.process.wait(timeout=CLI_TIMEOUT)


def test_the_readme_walkthrough_runs_as_written_with_the_outputs_it_shows(first_run):
    server, shell = first_run
    text = walkthrough()

    # The banner, as the README shows it.
    shown = block(text, "", "Parley is running.").replace(README_BASE, server.base).splitlines()
    printed = server.banner().strip("\n").splitlines()
    assert_lines_match(shown, printed[: len(shown)])

    # A token and a market order: the answer has the README's fields and values.
    order_script = block(text, "sh", "export PARLEY_TOKEN=")
    token_line, curl = order_script.split("\n", 1)
    [answer] = json_lines(shell.run(order_script))
    readme_answer = json.loads(re.sub(r",\s*\.\.\.\}", "}", block(text, "json", "{").replace("\n", "")))
    for field, value in readme_answer.items():
        assert field in answer, field
        if field in VARYING:
            assert VARYING[field].fullmatch(answer[field]), (field, answer[field])
        else:
            assert answer[field] == value, (field, answer[field], value)
    shell.env["PARLEY_TOKEN"] = shell.run(token_line + '\necho "$PARLEY_TOKEN"')[-1]

    # "Send the same request again ... the same order back; change the body ... a 422 idempotency_key_reused".
    assert "the same order back" in text and "idempotency_key_reused" in text
    [again] = json_lines(shell.run(curl))
    assert again["id"] == answer["id"]
    changed = curl.replace(f'"quantity": "{answer["quantity"]}"', '"quantity": "0.05"')
    assert changed != curl
    [refused] = [json.loads(line) for line in shell.run(changed)]
    assert refused["error"]["code"] == "idempotency_key_reused"

    # More to try: every command answers JSON, none an error; the bracket fills and leaves its exits.
    positions, portfolio, quote, open_orders, bracket = json_lines(shell.run(block(text, "sh", "H=")))
    assert [p["symbol"] for p in positions["positions"]] == [answer["symbol"]]
    assert portfolio["account_id"] == "demo" and quote["symbol"] and open_orders["orders"] == []
    assert (bracket["order_type"], bracket["status"]) == ("bracket", "filled")

    # Talk to it: the console transcript, line by line, then the chat API.
    chat = block(text, "sh", ".venv/bin/parley chat")
    transcript, chat_api = chat.split("\n\n", 1)
    command, *lines = transcript.splitlines()
    console = Console(shlex.split(command), shell)
    console.until_prompt()  # the greeting
    readme_code = actual_code = None
    for index, line in enumerate(lines):
        if not line.startswith(PROMPT):
            continue
        typed = line[len(PROMPT):]
        expected = list(takewhile(lambda shown: not shown.startswith(PROMPT), lines[index + 1:]))
        if readme_code:
            typed = typed.replace(readme_code, actual_code)
        console.type(typed)
        said = console.until_prompt()
        assert_lines_match(expected, said, literal=typed)
        for want, got in zip(expected, said, strict=True):
            if (shown_code := re.search(r"\[1 Confirm: yes (\d+)\]", want)) is not None:
                readme_code, actual_code = shown_code.group(1), re.search(r"yes (\d+)", got).group(1)
    assert readme_code is not None, "the transcript confirms a ticket with its code"
    assert console.close() == 0
    [replies] = json_lines(shell.run(chat_api))
    assert replies["replies"][0]["text"].startswith("Positions:\n")

    # Admins: an admin account, its token, the trading state for demo.
    created, engaged = shell.run(block(text, "sh", ".venv/bin/parley account create ops --admin"))
    assert created == "created account ops (admin)"
    assert json.loads(engaged) | {"cancelled_orders": []} == {
        "scope": "account", "account_id": "demo", "state": "reducing", "engaged": True, "cancelled_orders": []}


def test_the_readmes_busy_port_message_is_the_one_parley_serve_prints(tmp_path):
    said = re.search(r"`(parley: port 8000 .*?)`", " ".join(walkthrough().split()))
    assert said, "the README quotes the busy-port message"
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        run = subprocess.run(
            [sys.executable, "-m", "local.cli", "serve", "--host", HOST, "--port", str(port)],
            cwd=tmp_path, env=env | {"PARLEY_HOME": str(tmp_path), "PYTHONPATH": str(REPO)},
            capture_output=True, text=True, timeout=CLI_TIMEOUT,
        )
    assert run.returncode == 2 and run.stdout == ""
    assert_lines_match([said.group(1)], run.stderr.splitlines())
    assert "`parley serve` exits with status 2" in " ".join(walkthrough().split())
