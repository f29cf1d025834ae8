"""A crowd on one account: many clients placing orders at once through a real `parley serve` on SQLite.

Shared by the load test (tests/e2e/test_account_crowd.py: no errors, nothing lost) and `make bench`
(tests/benchmarks/bench_account_crowd.py: the same crowd, larger, with its p99). Every client waits at one
barrier, so the requests really meet; the request count, the client timeout and every join are bounded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx

from core import usecases as uc
from core.accounts import Role
from core.risk_limits import RiskLimits
from infra.brokers.paper import PaperBroker
from infra.stores import open_store
from tests.e2e.platform_support import SECRET, Server, platform_env, serve

ACCOUNT = "demo"  # the account `parley serve` serves; seeded here first with room for the whole crowd
REQUEST_TIMEOUT = 30.0  # seconds; the crowd's failure before the fix was a 503 after 10 s, well inside it
UNBOUNDED = RiskLimits(
    max_order_quantity=None, max_order_notional=None, max_position_quantity=None, max_gross_exposure=None,
    daily_loss_limit=None, duplicate_window_seconds=0, max_orders_per_minute=None, quote_max_age_seconds=3600,
)
ORDER = {"symbol": "BTC-USD", "side": "buy", "quantity": "0.0001", "order_type": "market"}


@dataclass
class Crowd:
    """What the crowd got back: every answer's status and time, and the ids of the orders accepted."""

    answers: list[tuple[int, float, str]] = field(default_factory=list)  # status, seconds, body (errors only)
    accepted: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[tuple[int, float, str]]:
        return [answer for answer in self.answers if answer[0] != 201]

    def percentile(self, share: float) -> float:
        times = sorted(seconds for _, seconds, _ in self.answers)
        return times[min(len(times) - 1, int(len(times) * share))]


def seed(store_url: str) -> None:
    """The served account, rich and with no limit a crowd of small buys could meet, before the server starts."""
    store = open_store(store_url)
    try:
        deps = uc.Deps(store=store, broker=PaperBroker())
        uc.create_account(deps, ACCOUNT, starting_cash=Decimal("10000000"))
        ops = uc.create_account(deps, "ops", role=Role.ADMIN)
        uc.set_limits(deps, ops, ACCOUNT, UNBOUNDED)
    finally:
        store.close()


def crowd_server(workdir: Path) -> Iterator[Server]:
    """`parley serve` on a seeded SQLite file, replaying the demo feed (its quotes write to the same file)."""
    env = platform_env(workdir, SECRET)
    env["PARLEY_FEED_SPEED"] = "20"
    env.pop("OPENAI_API_KEY", None)
    seed(env["PARLEY_STORE_URL"])
    yield from serve(workdir, workdir, env, workdir)


def place_together(server: Server, clients: int, orders_each: int) -> Crowd:
    """``clients`` threads, each with its own connection, place ``orders_each`` orders one after another,
    all starting at once; each order has its own Idempotency-Key."""
    token = server.cli.token(ACCOUNT)
    crowd, lock = Crowd(), threading.Lock()
    start = threading.Barrier(clients, timeout=REQUEST_TIMEOUT)

    def client(number: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT, headers=headers, trust_env=False) as http:
            start.wait()
            for sent in range(orders_each):
                began = time.perf_counter()
                try:
                    answer = http.post("/v1/orders", json=ORDER, headers={"Idempotency-Key": f"c{number}-{sent}"})
                    status, body = answer.status_code, answer.text
                except httpx.HTTPError as exc:
                    status, body = 0, repr(exc)
                took = time.perf_counter() - began
                with lock:
                    crowd.answers.append((status, took, "" if status == 201 else body[:300]))
                    if status == 201:
                        crowd.accepted.append(answer.json()["id"])

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT * (orders_each + 1))
    crowd.seconds = time.perf_counter() - began
    assert not any(thread.is_alive() for thread in threads), "a client did not finish within its bound"
    return crowd


def stored_order_ids(server: Server) -> list[str]:
    """Every order the store holds for the account, read straight from the file the server writes."""
    store = open_store(server.cli.env["PARLEY_STORE_URL"])
    try:
        return [order.id for order in store.orders.list_for_account(ACCOUNT, limit=100_000)]
    finally:
        store.close()
