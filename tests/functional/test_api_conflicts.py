"""POST /v1/orders through the Lambda handler when another writer keeps getting to the account first: the
order is retried within the invocation's remaining time (less the handler's reserve), and only then does the
client see 409 `concurrent_update`."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.errors import ConcurrentUpdate
from functions.observability import RESERVE_SECONDS
from tests.functional.conftest import Api, LambdaContext, http_event

ORDER = {"symbol": "AAPL", "side": "buy", "quantity": "1", "order_type": "limit", "limit_price": "95"}


@dataclass
class ContextWithTime(LambdaContext):
    remaining_ms: int = 10_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class Raced:
    """Makes the first ``losses`` units' commits lose to another writer (their writes rolled back)."""

    def __init__(self, api: Api, monkeypatch: pytest.MonkeyPatch, losses: int) -> None:
        self.commits, self.losses = 0, losses
        store = api.deps.store
        real_unit = store.unit

        def unit():
            opened = real_unit()
            commit = opened.commit

            def racing_commit() -> None:
                self.commits += 1
                if self.commits <= self.losses:
                    opened.rollback()
                    raise ConcurrentUpdate("Risk book alice was changed by someone else; reload and retry.")
                commit()

            opened.commit = racing_commit
            return opened

        monkeypatch.setattr(store, "unit", unit)


def place(api: Api, context: LambdaContext, key: str) -> dict:
    event = http_event("POST", "/v1/orders", body=ORDER, token=api.token("alice"), headers={"Idempotency-Key": key})
    return api.module.handler(event, context)


def test_an_order_that_loses_to_other_writers_a_few_times_is_placed_once(api: Api, monkeypatch) -> None:
    api.quote("AAPL", "99.98", "100.02")
    raced = Raced(api, monkeypatch, losses=4)
    answer = place(api, ContextWithTime(remaining_ms=10_000), "k-1")
    assert answer["statusCode"] == 201, answer["body"]
    assert raced.commits == 5
    assert len(api.deps.store.orders.list_for_account("alice")) == 1


def test_with_no_time_left_beyond_the_reserve_the_conflict_reaches_the_client_after_one_try(
    api: Api, monkeypatch
) -> None:
    api.quote("AAPL", "99.98", "100.02")
    raced = Raced(api, monkeypatch, losses=10**6)
    answer = place(api, ContextWithTime(remaining_ms=int(RESERVE_SECONDS * 1000)), "k-2")
    assert answer["statusCode"] == 409, answer["body"]
    assert '"concurrent_update"' in answer["body"]
    assert raced.commits == 1  # the deadline reached the use case through Mangum and FastAPI's thread pool
    assert api.deps.store.orders.list_for_account("alice") == []


def test_the_invocations_remaining_time_bounds_the_retrying(api: Api, monkeypatch) -> None:
    api.quote("AAPL", "99.98", "100.02")
    raced = Raced(api, monkeypatch, losses=10**6)
    answer = place(api, ContextWithTime(remaining_ms=int(RESERVE_SECONDS * 1000) + 2000), "k-3")
    assert answer["statusCode"] == 409, answer["body"]
    assert raced.commits > 1
