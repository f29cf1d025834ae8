"""Telegram, event to 200 (`make bench`): the median time respond() takes from an API Gateway event carrying an
update with the right X-Telegram-Bot-Api-Secret-Token to its 200 answer, in process, on a memory-store platform:
the constant-time secret check, body decode, Update.de_json, the Inbound, the dedup claim on update_id and the
in-process queue. Each round posts a new update_id, so every round takes the accept path; a button press, a
replay and a forged secret are measured too.

The webhook module imports python-telegram-bot on its first verified update, not at cold start; that one-time
cost is measured here against `import boto3` in the same run (the module's own import time is measured with the
other webhook handlers in bench_streams.py).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from itertools import count
from pathlib import Path

from functions.webhooks.telegram import respond
from tests.channels.harness import TELEGRAM_SECRET, local_channels
from tests.channels.telegram_updates import callback_update, event, message_update

ROUNDS = 300
IMPORT_RUNS = 5
ROOT = Path(__file__).resolve().parents[2]
TICKET = "BUY 10 AAPL MKT DAY, est. 1,900.20 USD, risk OK, PAPER.\nReply yes 4821 to confirm, or no to cancel."
_ids = count(1)


def _measure(benchmark, say, label: str, make, status: int = 200, replay: bool = False,
             secret: str = TELEGRAM_SECRET) -> None:
    platform = local_channels().platform
    platform.inbox.deliver = lambda inbound: None  # type: ignore[attr-defined]  # the worker is not measured
    first = event(make(next(_ids)), secret)
    respond(platform, first)  # python-telegram-bot's import is paid once, before the rounds

    def setup() -> tuple[tuple, dict]:
        return (platform, first if replay else event(make(next(_ids)), secret)), {}

    response = benchmark.pedantic(respond, setup=setup, rounds=ROUNDS, warmup_rounds=5, iterations=1)
    assert response["statusCode"] == status, response
    if status == 200:
        assert json.loads(response["body"]) == {"ok": True, "duplicate": replay}
    say(f"telegram update -> {status} ({label}, memory store): median {benchmark.stats.stats.median * 1e3:.3f} ms "
        f"over {ROUNDS} rounds")


def test_a_signed_message_update_to_200(benchmark, say) -> None:
    _measure(benchmark, say, "message, queued", lambda n: message_update(n, "buy 10 AAPL"))


def test_a_signed_button_press_to_200(benchmark, say) -> None:
    _measure(benchmark, say, "callback_query, queued", lambda n: callback_update(n, "yes 4821", TICKET))


def test_a_replayed_update_to_200(benchmark, say) -> None:
    _measure(benchmark, say, "replay, acknowledged", lambda n: message_update(n, "buy 10 AAPL"), replay=True)


def test_a_forged_update_to_401(benchmark, say) -> None:
    _measure(benchmark, say, "forged secret, refused", lambda n: message_update(n, "buy 10 AAPL"), status=401,
             secret="forged-secret-token")


def _import_ms(module: str) -> float:
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                         text=True, cwd=ROOT, check=True)
    return sum(int(line.split("|")[1]) for line in run.stderr.splitlines()
               if line.startswith("import time:") and line.split("|")[2].strip() == module) / 1000


def test_the_first_verified_update_pays_the_telegram_import_once(say) -> None:
    samples = {name: [_import_ms(name) for _ in range(IMPORT_RUNS)] for name in ("boto3", "telegram")}
    boto3_ms, telegram_ms = (statistics.median(samples[name]) for name in ("boto3", "telegram"))
    say(f"import telegram (paid by the first verified update of a cold function): {telegram_ms:.0f} ms, "
        f"{telegram_ms / boto3_ms:.2f}x import boto3 ({boto3_ms:.0f} ms); median of {IMPORT_RUNS}")
