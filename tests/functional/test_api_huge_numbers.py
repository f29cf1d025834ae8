"""Every number a client can send is accepted or refused with a 422, never a 500: orders, chat and limits."""

from __future__ import annotations

import pytest

from tests.functional.conftest import Api

HUGE = ["1e24", "1e400", "100000000000000000000000", "1e26", "99999999999999999.5"]


@pytest.mark.parametrize("field", ["quantity", "limit_price", "trail_amount", "notional"])
@pytest.mark.parametrize("value", HUGE)
def test_a_huge_amount_in_an_order_is_a_422(api: Api, field: str, value: str) -> None:
    api.quote("AAPL", "189.98", "190.02")
    body = {"symbol": "AAPL", "side": "buy", "quantity": "1", "order_type": "limit", "limit_price": "190.00"}
    if field == "trail_amount":
        body = {"symbol": "AAPL", "side": "sell", "quantity": "1", "order_type": "trailing_stop"}
    if field == "notional":
        body = {"symbol": "AAPL", "side": "buy"}
    body[field] = value
    answer = api("POST", "/v1/orders", body=body, token=api.token("alice"), headers={"Idempotency-Key": "h"})
    assert answer.status == 422, answer.body


@pytest.mark.parametrize("text", ["buy 1e24 AAPL", "buy 100000000000000000000000 AAPL", "buy 10 AAPL @ 1e26",
                                  "sell 1 AAPL trail 1e400"])
def test_a_huge_number_in_a_chat_gets_an_answer_not_a_500(api: Api, text: str) -> None:
    answer = api("POST", "/v1/chat", body={"text": text}, token=api.token("alice"))
    assert answer.status == 200, answer.body
    assert answer.body["replies"] and "ticket" not in answer.body["replies"][0]["text"].lower()


@pytest.mark.parametrize("field", ["quote_max_age_seconds", "duplicate_window_seconds"])
def test_a_limit_no_order_could_live_with_is_refused_at_the_put(api: Api, field: str) -> None:
    answer = api("PUT", "/v1/risk/limits", body={field: 10**14}, token=api.token("ops"), query={"account_id": "alice"})
    assert answer.status == 422, answer.body
