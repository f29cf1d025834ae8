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


def test_positions_show_what_is_held_for_orders_and_a_close_lists_what_it_cancelled(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    entry = place(api, {"symbol": "AAPL", "side": "buy", "quantity": "10", "order_type": "bracket",
                        "take_profit_price": "200.00", "stop_loss_price": "180.00"}, "b-1").body
    token = api.token("alice")
    [shown] = api("GET", "/v1/positions", token=token).body["positions"]
    assert (shown["quantity"], shown["held"], shown["held_for_orders"], shown["available"]) == ("10", "10", "10", "0")
    exits = sorted(o["id"] for o in api("GET", "/v1/orders", token=token).body["orders"]
                   if o.get("parent_id") == entry["id"])
    own = place(api, {"symbol": "AAPL", "side": "sell", "quantity": "10", "order_type": "limit",
                      "limit_price": "210.00"}, "s-1")
    assert own.status == 201 and own.body["status"] == "accepted"  # alice trades on margin: a short of 10
    closed = api("DELETE", "/v1/positions/AAPL", token=token)
    assert closed.status == 200, closed.body
    assert closed.body["status"] == "filled" and closed.body["quantity"] == "10"
    assert sorted(closed.body["cancelled_orders"]) == sorted([*exits, own.body["id"]])
    assert api("GET", "/v1/positions", token=token).body["positions"] == []
