"""Orders through the Lambda handler: placing, idempotency, cancelling, and what a client may get wrong."""

from __future__ import annotations

from tests.functional.conftest import Api

MARKET_BUY = {"symbol": "AAPL", "side": "buy", "quantity": "10", "order_type": "market"}


def place(api: Api, body: dict, key: str = "k-1", account: str = "alice"):
    return api("POST", "/v1/orders", body=body, token=api.token(account), headers={"Idempotency-Key": key})


def test_health_answers_200_without_a_token(api: Api) -> None:
    response = api("GET", "/health")
    assert response.status == 200
    assert response.body["status"] == "ok"


def test_a_market_order_fills_at_the_ask_and_is_reported_with_decimal_strings(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    response = place(api, MARKET_BUY)
    assert response.status == 201, response.body
    order = response.body
    assert order["status"] == "filled"
    assert order["filled_quantity"] == "10"
    assert order["average_price"] == "190.020000"  # the tick places plus four
    assert order["symbol"] == "AAPL" and order["side"] == "buy" and order["quantity"] == "10"
    assert order["created_at"].endswith(("Z", "+00:00"))
    for field in ("id", "status", "filled_quantity", "average_price", "created_at", "limit_price", "stop_price",
                  "trail_amount", "trail_percent", "take_profit_price", "stop_loss_price", "time_in_force"):
        assert field in order


def test_the_same_idempotency_key_and_body_returns_the_same_order_not_a_second_one(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    first = place(api, MARKET_BUY, key="retry-me")
    second = place(api, MARKET_BUY, key="retry-me")
    assert first.status == second.status == 201
    assert first.body["id"] == second.body["id"]
    listed = api("GET", "/v1/orders", token=api.token("alice")).body["orders"]
    assert [o["id"] for o in listed] == [first.body["id"]]
    position = api("GET", "/v1/positions", token=api.token("alice")).body["positions"][0]
    assert position["quantity"] == "10"


def test_the_same_idempotency_key_with_another_body_is_refused(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    assert place(api, MARKET_BUY, key="k").status == 201
    response = place(api, {**MARKET_BUY, "quantity": "11"}, key="k")
    assert response.status == 422
    assert response.body["error"]["code"] == "idempotency_key_reused"
    assert len(api("GET", "/v1/orders", token=api.token("alice")).body["orders"]) == 1


def test_an_idempotency_key_is_scoped_to_its_account(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    alice = place(api, MARKET_BUY, key="shared", account="alice")
    bob = place(api, MARKET_BUY, key="shared", account="bob")
    assert alice.status == bob.status == 201
    assert alice.body["id"] != bob.body["id"]


def test_placing_an_order_without_an_idempotency_key_is_a_400(api: Api) -> None:
    response = api("POST", "/v1/orders", body=MARKET_BUY, token=api.token("alice"))
    assert response.status == 400
    assert response.body["error"]["code"] == "idempotency_key_required"


def test_a_resting_limit_order_can_be_read_and_cancelled_once(api: Api) -> None:
    api.quote("CL", "70.00", "70.02")
    body = {"symbol": "CL", "side": "buy", "quantity": "2", "order_type": "limit", "limit_price": "69.50",
            "time_in_force": "gtc"}
    placed = place(api, body)
    assert placed.status == 201 and placed.body["status"] == "accepted"
    order_id = placed.body["id"]
    token = api.token("alice")
    assert api("GET", f"/v1/orders/{order_id}", token=token).body["limit_price"] == "69.50"
    open_orders = api("GET", "/v1/orders", token=token, query={"status": "open"}).body["orders"]
    assert [o["id"] for o in open_orders] == [order_id]
    cancelled = api("DELETE", f"/v1/orders/{order_id}", token=token)
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    again = api("DELETE", f"/v1/orders/{order_id}", token=token)
    assert again.status == 409
    assert api("GET", "/v1/orders", token=token, query={"status": "open"}).body["orders"] == []


def test_a_resting_limit_order_fills_when_the_market_comes_to_it(api: Api) -> None:
    api.quote("CL", "70.00", "70.02")
    order_id = place(api, {"symbol": "CL", "side": "buy", "quantity": "1", "order_type": "limit",
                           "limit_price": "69.50"}).body["id"]
    api.quote("CL", "69.40", "69.45")
    order = api("GET", f"/v1/orders/{order_id}", token=api.token("alice")).body
    assert order["status"] == "filled"
    assert order["average_price"] == "69.450000"


def test_a_risk_rejection_is_a_422_with_reason_codes_and_a_sentence(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    response = place(api, {**MARKET_BUY, "quantity": "9000"})
    assert response.status == 422
    error = response.body["error"]
    assert error["code"] == "risk_rejected"
    assert "max_order_notional" in [r["code"] for r in error["details"]["reasons"]]
    assert "1,000,000.00" in error["message"]
    stored = api("GET", f"/v1/orders/{error['details']['order_id']}", token=api.token("alice")).body
    assert stored["status"] == "rejected"


def test_a_market_order_with_no_quote_is_refused_by_the_risk_gate(api: Api) -> None:
    response = place(api, {**MARKET_BUY, "symbol": "MSFT"})
    assert response.status == 422
    assert [r["code"] for r in response.body["error"]["details"]["reasons"]] == ["no_fresh_quote"]


def test_client_mistakes_get_clear_4xx_errors_never_a_500(api: Api) -> None:
    token = api.token("alice")
    cases = [
        ({"body": "{not json", "headers": {"Idempotency-Key": "a"}}, 400, "malformed_json"),
        ({"body": {**MARKET_BUY, "symbol": "NOPE"}, "headers": {"Idempotency-Key": "b"}}, 422, "unknown_symbol"),
        ({"body": {**MARKET_BUY, "quantity": "-1"}, "headers": {"Idempotency-Key": "c"}}, 422, "validation_error"),
        ({"body": {**MARKET_BUY, "symbol": "CL", "quantity": "1.5"}, "headers": {"Idempotency-Key": "d"}}, 422,
         "invalid_lot"),  # a future has whole lots (equities market orders may take fractions)
        ({"body": {**MARKET_BUY, "limit_price": "1"}, "headers": {"Idempotency-Key": "e"}}, 422, "validation_error"),
        ({"body": {**MARKET_BUY, "order_type": "limit", "limit_price": "190.001"},
          "headers": {"Idempotency-Key": "f"}}, 422, "invalid_tick"),
        ({"body": {**MARKET_BUY, "side": "hold"}, "headers": {"Idempotency-Key": "g"}}, 422, "validation_error"),
        ({"body": {**MARKET_BUY, "colour": "red"}, "headers": {"Idempotency-Key": "h"}}, 422, "validation_error"),
        ({"body": [], "headers": {"Idempotency-Key": "i"}}, 422, "validation_error"),
        ({"body": MARKET_BUY, "headers": {"Idempotency-Key": "x" * 256}}, 400, "idempotency_key_invalid"),
    ]
    for kwargs, status, code in cases:
        response = api("POST", "/v1/orders", token=token, **kwargs)
        assert (response.status, response.body["error"]["code"]) == (status, code), kwargs
    assert api("GET", "/v1/orders/NOSUCHORDER", token=token).status == 404
    assert api("GET", "/v1/nowhere", token=token).body["error"]["code"] == "not_found"
    assert api("PATCH", "/v1/orders", token=token).status == 405


def test_a_bracket_order_fills_its_entry_and_leaves_two_linked_exits_working(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    body = {"symbol": "AAPL", "side": "buy", "quantity": "10", "order_type": "bracket",
            "take_profit_price": "200.00", "stop_loss_price": "185.00"}
    entry = place(api, body).body
    assert entry["status"] == "filled"
    token = api.token("alice")
    exits = api("GET", "/v1/orders", token=token, query={"status": "open"}).body["orders"]
    assert sorted(o["order_type"] for o in exits) == ["limit", "stop"]
    assert {o["parent_id"] for o in exits} == {entry["id"]}
    api.quote("AAPL", "200.00", "200.02")
    assert api("GET", "/v1/orders", token=token, query={"status": "open"}).body["orders"] == []
    statuses = {o["order_type"]: o["status"] for o in api("GET", "/v1/orders", token=token).body["orders"]
                if o["parent_id"] == entry["id"]}
    assert statuses == {"limit": "filled", "stop": "cancelled"}
    assert api("GET", "/v1/positions", token=token).body["positions"] == []
