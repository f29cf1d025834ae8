"""Alerts, notifications and signal sources through the API's Lambda handler (HTTP API v2 events)."""

from __future__ import annotations

from core import usecases as uc
from core.alerts import AlertStatus
from tests.functional.conftest import Api


def test_an_alert_is_set_listed_and_cancelled_by_its_owner_only(api: Api) -> None:
    alice, bob = api.token("alice"), api.token("bob")
    body = {"symbol": "aapl", "condition": "above", "threshold": "200.50", "repeat": True, "cooldown_seconds": 600}
    made = api("POST", "/v1/alerts", body=body, token=alice)
    assert made.status == 201, made.body
    assert {k: made.body[k] for k in ("symbol", "condition", "threshold", "status", "repeat", "cooldown_seconds",
                                       "triggered_at", "description")} == {
        "symbol": "AAPL", "condition": "above", "threshold": "200.50", "status": "active", "repeat": True,
        "cooldown_seconds": 600, "triggered_at": None, "description": "AAPL above 200.50, repeating (cooldown 10m)",
    }
    alert_id = made.body["id"]
    assert [a["id"] for a in api("GET", "/v1/alerts", token=alice).body["alerts"]] == [alert_id]
    assert api("GET", "/v1/alerts", token=bob).body == {"alerts": [], "next_cursor": None}
    assert api("DELETE", f"/v1/alerts/{alert_id}", token=bob).status == 404

    cancelled = api("DELETE", f"/v1/alerts/{alert_id}", token=alice)
    assert (cancelled.status, cancelled.body["status"]) == (200, "cancelled")
    assert api("DELETE", f"/v1/alerts/{alert_id}", token=alice).status == 404
    assert api("GET", "/v1/alerts", token=alice).body == {"alerts": [], "next_cursor": None}
    everything = api("GET", "/v1/alerts", token=alice, query={"status": "all"}).body["alerts"]
    assert [a["status"] for a in everything] == ["cancelled"]


def test_every_alert_kind_is_accepted_with_its_own_fields(api: Api) -> None:
    api.quote("CL", "70.00", "70.02")
    token = api.token("alice")
    bodies = [
        {"symbol": "CL", "condition": "pct_move", "threshold": "3"},
        {"symbol": "CL", "condition": "pct_move", "threshold": "2", "window_seconds": 3600},
        {"symbol": "CL", "condition": "pnl_below", "threshold": "-2500"},
        {"symbol": "CL", "condition": "pnl_above", "threshold": 5000},
        {"symbol": "CL", "condition": "risk_usage_above", "threshold": "80", "risk_limit": "max_position_quantity"},
    ]
    made = [api("POST", "/v1/alerts", body=b, token=token) for b in bodies]
    assert [m.status for m in made] == [201] * 5, [m.body for m in made]
    assert [m.body["description"] for m in made] == [
        "CL moves 3% from 70.02", "CL moves 2% within 1h", "CL P&L below -2500", "CL P&L above 5000",
        "CL max_position_quantity usage above 80%",
    ]


def test_alerts_that_make_no_sense_are_refused_with_422(api: Api) -> None:
    token = api.token("alice")
    for body, code in [
        ({"symbol": "AAPL", "condition": "above", "threshold": "1", "window_seconds": 60}, "invalid_alert"),
        ({"symbol": "AAPL", "condition": "below", "threshold": "-5"}, "invalid_alert"),
        ({"symbol": "AAPL", "condition": "above", "threshold": "1_0"}, None),
        ({"symbol": "AAPL", "condition": "sideways", "threshold": "1"}, None),
        ({"symbol": "AAPL", "condition": "above", "threshold": "1", "colour": "red"}, None),
        ({"symbol": "NOPE", "condition": "above", "threshold": "1"}, "unknown_symbol"),
    ]:
        answer = api("POST", "/v1/alerts", body=body, token=token)
        assert answer.status == 422, (body, answer.body)
        if code:
            assert answer.body["error"]["code"] == code
    assert api("POST", "/v1/alerts", body={"symbol": "ZN", "condition": "pct_move", "threshold": "1"},
               token=token).status in (404, 422)


def test_notifications_are_the_callers_own_newest_first(api: Api) -> None:
    api.quote("BTC-USD", "60000.00", "60000.50")  # trades around the clock, whatever day the test runs
    for who, qty in (("alice", "1"), ("bob", "2"), ("alice", "3")):
        placed = api("POST", "/v1/orders", body={"symbol": "BTC-USD", "side": "buy", "quantity": qty,
                                                  "order_type": "market"},
                     token=api.token(who), headers={"Idempotency-Key": f"{who}-{qty}"})
        assert placed.status == 201, placed.body
    mine = api("GET", "/v1/notifications", token=api.token("alice")).body["notifications"]
    assert [n["data"]["quantity"] for n in mine] == ["3", "1"]
    assert {n["account_id"] for n in mine} == {"alice"}
    assert mine[0]["kind"] == "order.filled" and set(mine[0]) == {"id", "account_id", "kind", "text", "data",
                                                                  "created_at"}
    newest = api("GET", "/v1/notifications", token=api.token("alice"), query={"limit": "1"})
    assert [n["data"]["quantity"] for n in newest.body["notifications"]] == ["3"]


def test_a_signal_source_is_registered_and_its_secret_shown_once(api: Api) -> None:
    made = api("POST", "/v1/signal-sources", body={"name": "TradingView", "mode": "stage"}, token=api.token("alice"))
    assert made.status == 201, made.body
    assert made.body["webhook_path"] == f"/webhooks/signals/{made.body['id']}"
    stored = api.deps.store.signal_sources.get(made.body["id"])
    assert (stored.account_id, stored.secret, stored.mode.value) == ("alice", made.body["secret"], "stage")
    assert len(made.body["secret"]) >= 40
    refused = api("POST", "/v1/signal-sources", body={"name": "x", "mode": "execute"}, token=api.token("alice"))
    assert refused.status == 422


def test_an_alert_set_through_the_api_is_fired_by_the_stream_path(api: Api) -> None:
    token = api.token("alice")
    api("POST", "/v1/alerts", body={"symbol": "AAPL", "condition": "below", "threshold": "180"}, token=token)
    api.quote("AAPL", "179.00", "179.04")
    [alert] = uc.list_alerts(api.deps, "alice")
    assert alert.status is AlertStatus.TRIGGERED
    [note] = api("GET", "/v1/notifications", token=token).body["notifications"]
    assert note["kind"] == "alert.triggered" and note["data"]["alert_id"] == alert.id


def test_the_same_idempotency_key_and_body_returns_the_same_alert_not_a_second_one(api: Api) -> None:
    alice = api.token("alice")
    body = {"symbol": "AAPL", "condition": "above", "threshold": "200.50"}
    first = api("POST", "/v1/alerts", body=body, token=alice, headers={"Idempotency-Key": "alert-1"})
    again = api("POST", "/v1/alerts", body={**body, "threshold": "200.5"}, token=alice,
                headers={"Idempotency-Key": "alert-1"})  # the same amount, written another way
    assert (first.status, again.status) == (201, 201), (first.body, again.body)
    assert again.body == first.body
    assert [a["id"] for a in api("GET", "/v1/alerts", token=alice).body["alerts"]] == [first.body["id"]]
    bob = api("POST", "/v1/alerts", body=body, token=api.token("bob"), headers={"Idempotency-Key": "alert-1"})
    assert bob.status == 201 and bob.body["id"] != first.body["id"]  # a key is scoped to its account


def test_an_alert_idempotency_key_reused_with_another_body_is_refused_and_stores_nothing(api: Api) -> None:
    alice = api.token("alice")
    body = {"symbol": "AAPL", "condition": "above", "threshold": "200.50"}
    first = api("POST", "/v1/alerts", body=body, token=alice, headers={"Idempotency-Key": "alert-2"})
    refused = api("POST", "/v1/alerts", body={**body, "threshold": "201"}, token=alice,
                  headers={"Idempotency-Key": "alert-2"})
    assert refused.status == 422
    assert refused.body["error"]["code"] == "idempotency_key_reused"
    assert refused.body["error"]["details"] == {"alert_id": first.body["id"]}
    assert [a["threshold"] for a in api("GET", "/v1/alerts", token=alice).body["alerts"]] == ["200.50"]
    for key in ("two words", ""):  # a key that is sent must be a valid one, even where it is optional
        bad = api("POST", "/v1/alerts", body=body, token=alice, headers={"Idempotency-Key": key})
        assert (bad.status, bad.body["error"]["code"]) == (400, "idempotency_key_invalid"), key


def test_alerts_without_an_idempotency_key_are_each_set(api: Api) -> None:
    alice = api.token("alice")
    body = {"symbol": "AAPL", "condition": "above", "threshold": "200.50"}
    ids = {api("POST", "/v1/alerts", body=body, token=alice).body["id"] for _ in range(2)}
    assert len(ids) == 2


def test_the_same_idempotency_key_and_body_returns_the_same_signal_source_and_secret(api: Api) -> None:
    alice = api.token("alice")
    body = {"name": "TradingView", "mode": "stage"}
    first = api("POST", "/v1/signal-sources", body=body, token=alice, headers={"Idempotency-Key": "src-1"})
    again = api("POST", "/v1/signal-sources", body={**body, "name": " TradingView "}, token=alice,
                headers={"Idempotency-Key": "src-1"})
    assert (first.status, again.status) == (201, 201), (first.body, again.body)
    assert again.body == first.body  # the secret too: the first answer may never have reached the client
    assert api.deps.store.signal_sources.get(first.body["id"]).secret == first.body["secret"]
    other = api("POST", "/v1/signal-sources", body=body, token=alice)
    assert other.status == 201 and other.body["id"] != first.body["id"]


def test_a_signal_source_idempotency_key_reused_with_another_body_is_refused(api: Api) -> None:
    alice = api.token("alice")
    first = api("POST", "/v1/signal-sources", body={"name": "TradingView", "mode": "stage"}, token=alice,
                headers={"Idempotency-Key": "src-2"})
    refused = api("POST", "/v1/signal-sources", body={"name": "TradingView", "mode": "notify"}, token=alice,
                  headers={"Idempotency-Key": "src-2"})
    assert refused.status == 422
    assert refused.body["error"] == {
        "code": "idempotency_key_reused", "message": "This Idempotency-Key was already used for a different "
        "signal source.", "details": {"signal_source_id": first.body["id"]},
    }
    assert api.deps.store.signal_sources.get(first.body["id"]).mode.value == "stage"
