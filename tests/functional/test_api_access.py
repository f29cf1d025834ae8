"""Authentication and authorisation through the Lambda handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.functional.conftest import SECRET, Api


def test_a_request_without_a_token_is_a_401_with_a_json_error(api: Api) -> None:
    response = api("GET", "/v1/orders")
    assert response.status == 401
    assert response.body["error"]["code"] == "missing_token"
    assert response.headers.get("www-authenticate") == "Bearer"


def test_a_forged_or_expired_or_foreign_token_is_refused(api: Api) -> None:
    now = datetime.now(UTC)
    later = int((now + timedelta(hours=1)).timestamp())
    claims = {"sub": "alice", "iss": "parley", "iat": int(now.timestamp()), "exp": later}
    forged = jwt.encode(claims, "not-the-secret-but-just-as-long-as-it-0123", algorithm="HS256")
    expired = jwt.encode({**claims, "exp": int((now - timedelta(minutes=1)).timestamp())}, SECRET, algorithm="HS256")
    ghost = jwt.encode({**claims, "sub": "nobody"}, SECRET, algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token, code in [(forged, "invalid_token"), (expired, "token_expired"), (ghost, "unknown_account"),
                        (unsigned, "invalid_token"), ("garbage", "invalid_token")]:
        response = api("GET", "/v1/orders", token=token)
        assert (response.status, response.body["error"]["code"]) == (401, code)


def test_a_token_claiming_admin_does_not_make_a_trader_an_admin(api: Api) -> None:
    now = datetime.now(UTC)
    claims = {"sub": "alice", "role": "admin", "iss": "parley", "iat": int(now.timestamp()),
              "exp": int((now + timedelta(hours=1)).timestamp())}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    response = api("POST", "/v1/risk/kill-switch", token=token, body={"engaged": True})
    assert response.status == 403


def test_an_account_sees_only_its_own_orders_and_positions(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    order = api("POST", "/v1/orders", token=api.token("alice"), headers={"Idempotency-Key": "1"},
                body={"symbol": "AAPL", "side": "buy", "quantity": "5"}).body
    bob = api.token("bob")
    assert api("GET", f"/v1/orders/{order['id']}", token=bob).status == 404
    assert api("DELETE", f"/v1/orders/{order['id']}", token=bob).status == 404
    assert api("GET", "/v1/orders", token=bob).body["orders"] == []
    assert api("GET", "/v1/positions", token=bob).body["positions"] == []
    assert api("GET", "/v1/orders", token=bob, query={"account_id": "alice"}).status == 403
    assert api("GET", "/v1/portfolio", token=bob, query={"account_id": "alice"}).status == 403
    admin_view = api("GET", "/v1/orders", token=api.token("ops"), query={"account_id": "alice"}).body
    assert [o["id"] for o in admin_view["orders"]] == [order["id"]]


def test_only_an_admin_changes_limits_and_the_new_limit_is_enforced(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    token = api.token("alice")
    limits = api("GET", "/v1/risk/limits", token=token).body
    assert limits["account_id"] == "alice" and limits["limits"]["max_order_quantity"] == "10000"
    tighter = {**limits["limits"], "max_order_quantity": "5"}
    assert api("PUT", "/v1/risk/limits", token=token, body=tighter).status == 403
    changed = api("PUT", "/v1/risk/limits", token=api.token("ops"), body=tighter, query={"account_id": "alice"})
    assert changed.status == 200 and changed.body["limits"]["max_order_quantity"] == "5"
    response = api("POST", "/v1/orders", token=token, headers={"Idempotency-Key": "q"},
                   body={"symbol": "AAPL", "side": "buy", "quantity": "6"})
    assert response.status == 422
    assert [r["code"] for r in response.body["error"]["details"]["reasons"]] == ["max_order_quantity"]


def test_the_kill_switch_cancels_working_orders_and_blocks_new_ones_until_released(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    token, ops = api.token("alice"), api.token("ops")
    resting = api("POST", "/v1/orders", token=token, headers={"Idempotency-Key": "r"},
                  body={"symbol": "AAPL", "side": "buy", "quantity": "1", "order_type": "limit",
                        "limit_price": "180.00"}).body
    assert api("POST", "/v1/risk/kill-switch", token=token, body={"engaged": True}).status == 403
    engaged = api("POST", "/v1/risk/kill-switch", token=ops, body={"engaged": True})
    assert engaged.status == 200
    assert engaged.body == {"scope": "global", "account_id": None, "state": "halted", "engaged": True,
                            "cancelled_orders": [resting["id"]]}
    blocked = api("POST", "/v1/orders", token=token, headers={"Idempotency-Key": "s"},
                  body={"symbol": "AAPL", "side": "buy", "quantity": "2"})
    assert blocked.status == 422
    assert [r["code"] for r in blocked.body["error"]["details"]["reasons"]] == ["kill_switch_global"]
    assert api("GET", "/v1/risk/limits", token=token).body["global_kill_switch"] is True
    api("POST", "/v1/risk/kill-switch", token=ops, body={"engaged": False})
    again = api("POST", "/v1/orders", token=token, headers={"Idempotency-Key": "t"},
                body={"symbol": "AAPL", "side": "buy", "quantity": "3"})
    assert again.status == 201


def test_an_account_kill_switch_blocks_that_account_only(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    api("POST", "/v1/risk/kill-switch", token=api.token("ops"), body={"engaged": True, "account_id": "alice"})
    body = {"symbol": "AAPL", "side": "buy", "quantity": "1"}
    alice = api("POST", "/v1/orders", token=api.token("alice"), headers={"Idempotency-Key": "u"}, body=body)
    bob = api("POST", "/v1/orders", token=api.token("bob"), headers={"Idempotency-Key": "u"}, body=body)
    assert alice.status == 422 and alice.body["error"]["details"]["reasons"][0]["code"] == "kill_switch_account"
    assert bob.status == 201


def test_quotes_portfolio_and_api_docs_are_served(api: Api) -> None:
    token = api.token("alice")
    assert api("GET", "/v1/quotes/AAPL", token=token).body["error"]["code"] == "quote_unavailable"
    assert api("GET", "/v1/quotes/NOPE", token=token).status == 404
    api.quote("CL", "70.00", "70.02")
    quote = api("GET", "/v1/quotes/cl", token=token).body
    assert (quote["symbol"], quote["bid"], quote["ask"], quote["mid"]) == ("CL", "70.00", "70.02", "70.01")
    api("POST", "/v1/orders", token=token, headers={"Idempotency-Key": "p"},
        body={"symbol": "CL", "side": "buy", "quantity": "2"})
    api.quote("CL", "71.00", "71.02")
    portfolio = api("GET", "/v1/portfolio", token=token).body
    position = portfolio["positions"][0]
    assert position["unrealised_pnl"] == "2000.00"  # (mark 71.02 - entry 70.02) x 2 lots x 1,000 bbl
    assert portfolio["cash"] == "1000000.00"  # money to the cent
    assert api("GET", "/openapi.json").body["info"]["title"] == "Parley"
    assert api("GET", "/docs").status == 200


def test_the_kill_switch_takes_a_trading_state_and_the_limits_show_it(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    ops, alice = api.token("ops"), api.token("alice")
    api("POST", "/v1/orders", token=alice, headers={"Idempotency-Key": "a"},
        body={"symbol": "AAPL", "side": "buy", "quantity": "10"})
    adds = api("POST", "/v1/orders", token=alice, headers={"Idempotency-Key": "b"},
               body={"symbol": "AAPL", "side": "buy", "quantity": "1", "order_type": "limit", "limit_price": "180"})
    set_state = api("POST", "/v1/risk/kill-switch", token=ops, body={"state": "reducing", "account_id": "alice"})
    assert set_state.body == {"scope": "account", "account_id": "alice", "state": "reducing", "engaged": True,
                              "cancelled_orders": [adds.body["id"]]}
    limits = api("GET", "/v1/risk/limits", token=alice).body
    assert (limits["trading_state"], limits["platform_trading_state"], limits["global_kill_switch"]) == (
        "reducing", "active", False)
    sell = api("POST", "/v1/orders", token=alice, headers={"Idempotency-Key": "c"},
               body={"symbol": "AAPL", "side": "sell", "quantity": "4"})
    buy = api("POST", "/v1/orders", token=alice, headers={"Idempotency-Key": "d"},
              body={"symbol": "AAPL", "side": "buy", "quantity": "1"})
    assert sell.status == 201
    assert buy.status == 422 and buy.body["error"]["details"]["reasons"][0]["code"] == "reducing_only_account"


@pytest.mark.parametrize("body", [{}, {"state": "halted", "engaged": True}, {"state": "paused"}])
def test_the_kill_switch_wants_exactly_one_known_state_or_engaged(api: Api, body: dict) -> None:
    answer = api("POST", "/v1/risk/kill-switch", token=api.token("ops"), body=body)
    assert (answer.status, answer.body["error"]["code"]) == (422, "validation_error")
