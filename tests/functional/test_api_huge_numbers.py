"""Every number a client can send is accepted or refused with a 422, never a 500: orders, chat and limits."""

from __future__ import annotations

import pytest

from core import usecases as uc
from core.errors import InvalidRequest
from core.orders import OrderRequest
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


ALL_NINES = "99999999999999"  # each within bounds; their product is past the decimal context


@pytest.mark.parametrize("order_type", ["limit", "stop", "market"])
def test_an_order_whose_value_is_past_any_market_is_a_422_number_too_large(api: Api, order_type: str) -> None:
    api.quote("AAPL", "189.98", "190.02")
    body = {"symbol": "AAPL", "side": "buy", "quantity": ALL_NINES, "order_type": order_type}
    if order_type == "limit":
        body["limit_price"] = ALL_NINES
    elif order_type == "stop":
        body["stop_price"] = ALL_NINES
    else:
        body["quantity"] = "999999999999999"
        api.quote("AAPL", "9999999999.98", "9999999999.99")
    answer = api("POST", "/v1/orders", body=body, token=api.token("alice"), headers={"Idempotency-Key": "n"})
    assert (answer.status, answer.body["error"]["code"]) == (422, "number_too_large"), answer.body
    assert uc.list_orders(api.deps, "alice") == []  # nothing half-written


def test_a_change_that_takes_an_order_past_any_market_is_a_422_number_too_large(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    body = {"symbol": "AAPL", "side": "buy", "quantity": "1", "order_type": "limit", "limit_price": "100"}
    placed = api("POST", "/v1/orders", body=body, token=api.token("alice"), headers={"Idempotency-Key": "m"})
    order_id = placed.body["id"]
    answer = api("PATCH", f"/v1/orders/{order_id}", body={"quantity": ALL_NINES, "limit_price": ALL_NINES},
                 token=api.token("alice"))
    assert (answer.status, answer.body["error"]["code"]) == (422, "number_too_large"), answer.body
    assert uc.get_order(api.deps, "alice", order_id).quantity == 1


def test_a_what_if_and_a_chat_order_past_any_market_get_number_too_large_not_a_500(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    request = OrderRequest(symbol="AAPL", side="buy", quantity=ALL_NINES, order_type="limit", limit_price=ALL_NINES)
    for what_if in (uc.check_risk, uc.what_if):
        with pytest.raises(InvalidRequest) as refused:
            what_if(api.deps, "alice", request)
        assert refused.value.code == "number_too_large"
    asked = api("POST", "/v1/chat", body={"text": f"what if I buy {ALL_NINES} AAPL @ {ALL_NINES}"},
                token=api.token("alice"))
    assert asked.status == 200 and "too large" in asked.body["replies"][0]["text"], asked.body
    answer = api("POST", "/v1/chat", body={"text": f"buy {ALL_NINES} AAPL @ {ALL_NINES}"}, token=api.token("alice"))
    assert answer.status == 200, answer.body
    text = answer.body["replies"][0]["text"].lower()
    assert "too large" in text and "ticket" not in text
