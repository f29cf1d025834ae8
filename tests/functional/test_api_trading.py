"""Modify, close and notional orders through the Lambda handler."""

from __future__ import annotations

from tests.functional.conftest import Api


def place(api: Api, body: dict, key: str, account: str = "alice"):
    return api("POST", "/v1/orders", body=body, token=api.token(account), headers={"Idempotency-Key": key})


def test_patch_moves_a_resting_limit_and_refuses_what_does_not_fit(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    resting = place(api, {"symbol": "AAPL", "side": "buy", "quantity": "10", "order_type": "limit",
                          "limit_price": "185.00"}, "p-1").body
    token = api.token("alice")
    moved = api("PATCH", f"/v1/orders/{resting['id']}", body={"limit_price": "186.50", "quantity": "12"}, token=token)
    assert moved.status == 200, moved.body
    assert (moved.body["limit_price"], moved.body["quantity"], moved.body["status"]) == ("186.50", "12", "accepted")
    wrong = api("PATCH", f"/v1/orders/{resting['id']}", body={"stop_price": "200"}, token=token)
    assert wrong.status == 422 and wrong.body["error"]["code"] == "invalid_request"
    unknown = api("PATCH", f"/v1/orders/{resting['id']}", body={"side": "sell"}, token=token)
    assert unknown.status == 422
    other = api("PATCH", f"/v1/orders/{resting['id']}", body={"quantity": "1"}, token=api.token("bob"))
    assert other.status == 404


def test_delete_positions_closes_one_a_fraction_or_all(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    api.quote("CL", "70.00", "70.02")
    place(api, {"symbol": "AAPL", "side": "buy", "quantity": "10"}, "c-1")
    place(api, {"symbol": "CL", "side": "buy", "quantity": "2"}, "c-2")
    token = api.token("alice")
    half = api("DELETE", "/v1/positions/AAPL", token=token, query={"fraction": "0.5"})
    assert half.status == 200, half.body
    assert (half.body["side"], half.body["quantity"], half.body["status"]) == ("sell", "5", "filled")
    rest = api("DELETE", "/v1/positions", token=token)
    assert rest.status == 200, rest.body
    assert sorted((o["symbol"], o["quantity"]) for o in rest.body["orders"]) == [("AAPL", "5"), ("CL", "2")]
    assert api("GET", "/v1/positions", token=token).body["positions"] == []
    assert api("DELETE", "/v1/positions/AAPL", token=token).status == 404


def test_a_notional_order_reports_the_amount_and_the_derived_quantity(api: Api) -> None:
    api.quote("AAPL", "229.90", "230.10")
    placed = place(api, {"symbol": "AAPL", "side": "buy", "notional": "1000"}, "n-1")
    assert placed.status == 201, placed.body
    assert (placed.body["notional"], placed.body["quantity"], placed.body["status"]) == ("1000", "4.3459", "filled")
    limit_with_notional = place(api, {"symbol": "AAPL", "side": "buy", "notional": "1000", "order_type": "limit",
                                      "limit_price": "230.00"}, "n-2")
    assert limit_with_notional.status == 422
