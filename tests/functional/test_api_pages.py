"""Every list endpoint pages with a cursor: ``limit`` and ``cursor`` in, ``next_cursor`` out (null on the last
page), each item once across the pages, newest first; a cursor that is not one is a 422. And the caps in the
risk limits: alerts, signal sources and working orders per account stop at the account's limit."""

from __future__ import annotations

import pytest

from core import usecases as uc
from core.notifications import NotificationKind
from core.usecases import notify
from tests.functional.conftest import Api


def flat(pages: list[list[str]]) -> list[str]:
    return [item for page in pages for item in page]


def walk(api: Api, path: str, field: str, token: str, limit: int, **query: str) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        response = api("GET", path, token=token, query={"limit": str(limit), **query} | (
            {"cursor": cursor} if cursor else {}))
        assert response.status == 200, response.body
        pages.append([item["id"] for item in response.body[field]])
        cursor = response.body["next_cursor"]
        if cursor is None:
            return pages


def test_alerts_page_with_a_cursor_each_once_newest_first(api: Api) -> None:
    token = api.token("alice")
    made = [api("POST", "/v1/alerts", token=token, body={"symbol": "AAPL", "condition": "above",
                                                         "threshold": str(200 + n)}).body["id"] for n in range(5)]
    pages = walk(api, "/v1/alerts", "alerts", token, 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert flat(pages) == list(reversed(made))


def test_orders_page_with_a_cursor(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    token = api.token("alice")
    made = [api("POST", "/v1/orders", token=token, headers={"Idempotency-Key": f"k{n}"},
                body={"symbol": "AAPL", "side": "buy", "quantity": str(n + 1), "order_type": "limit",
                      "limit_price": "150"}).body["id"] for n in range(5)]
    pages = walk(api, "/v1/orders", "orders", token, 2)
    assert [len(p) for p in pages] == [2, 2, 1] and sorted(flat(pages)) == sorted(made)
    assert len(set(flat(pages))) == 5


def test_notifications_page_with_a_cursor(api: Api) -> None:
    for n in range(5):
        with api.deps.store.unit() as uow:
            notify.emit(uow, api.deps.now(), "alice", NotificationKind.SYSTEM, (f"n{n}",), code="note",
                        severity="info", message=f"note {n}")
            uow.commit()
    pages = walk(api, "/v1/notifications", "notifications", api.token("alice"), 3)
    assert [len(p) for p in pages] == [3, 2] and len(set(flat(pages))) == 5


def test_positions_page_by_symbol_with_a_cursor_each_once_and_the_last_page_says_no_more(api: Api) -> None:
    token = api.token("alice")
    symbols = ["TSLA", "AAPL", "NVDA", "MSFT", "AMZN"]
    for n, symbol in enumerate(symbols):
        api.quote(symbol, "99.98", "100.02")
        bought = api("POST", "/v1/orders", token=token, headers={"Idempotency-Key": f"p{n}"},
                     body={"symbol": symbol, "side": "buy", "quantity": "1"})
        assert bought.status == 201, bought.body
    pages, cursor = [], None
    while True:
        response = api("GET", "/v1/positions", token=token, query={"limit": "2"} | (
            {"cursor": cursor} if cursor else {}))
        assert response.status == 200, response.body
        pages.append([item["symbol"] for item in response.body["positions"]])
        cursor = response.body["next_cursor"]
        if cursor is None:
            break
    assert pages == [["AAPL", "AMZN"], ["MSFT", "NVDA"], ["TSLA"]]
    whole = api("GET", "/v1/positions", token=token, query={"limit": "5"}).body
    assert len(whole["positions"]) == 5 and whole["next_cursor"] is None


def test_a_list_that_ends_on_a_page_boundary_ends_with_a_null_cursor_not_an_empty_page(api: Api) -> None:
    token = api.token("alice")
    for n in range(4):
        api("POST", "/v1/alerts", token=token, body={"symbol": "AAPL", "condition": "above", "threshold": str(300 + n)})
        with api.deps.store.unit() as uow:
            notify.emit(uow, api.deps.now(), "alice", NotificationKind.SYSTEM, (f"b{n}",), code="note",
                        severity="info", message=f"note {n}")
            uow.commit()
    assert [len(p) for p in walk(api, "/v1/alerts", "alerts", token, 2)] == [2, 2]
    assert [len(p) for p in walk(api, "/v1/notifications", "notifications", token, 2)] == [2, 2]


@pytest.mark.parametrize("path", ["/v1/alerts", "/v1/positions"])
def test_a_cursor_that_names_no_item_is_a_422(api: Api, path: str) -> None:
    response = api("GET", path, token=api.token("alice"), query={"cursor": "c3ltYm9s"})  # "symbol", no item
    assert response.status == 422


@pytest.mark.parametrize("cursor", ["not-a-cursor!", "Zm9v", "x" * 300])
def test_a_cursor_that_is_not_one_is_a_422(api: Api, cursor: str) -> None:
    response = api("GET", "/v1/alerts", token=api.token("alice"), query={"cursor": cursor})
    assert response.status == 422


def set_limits(api: Api, **changes: object) -> None:
    ops = api.token("ops")
    limits = api("GET", "/v1/risk/limits", token=ops, query={"account_id": "alice"}).body["limits"]
    changed = api("PUT", "/v1/risk/limits", token=ops, body=limits | changes, query={"account_id": "alice"})
    assert changed.status == 200, changed.body


def test_alerts_stop_at_the_accounts_cap_and_a_cancelled_one_frees_a_place(api: Api) -> None:
    set_limits(api, max_alerts=2)
    token = api.token("alice")
    body = {"symbol": "AAPL", "condition": "above", "threshold": "250"}
    first = api("POST", "/v1/alerts", token=token, body=body).body["id"]
    assert api("POST", "/v1/alerts", token=token, body=body).status == 201
    refused = api("POST", "/v1/alerts", token=token, body=body)
    assert (refused.status, refused.body["error"]["code"]) == (422, "max_alerts")
    assert refused.body["error"]["details"]["limit"] == 2
    api("DELETE", f"/v1/alerts/{first}", token=token)
    assert api("POST", "/v1/alerts", token=token, body=body).status == 201


def test_signal_sources_stop_at_the_accounts_cap(api: Api) -> None:
    set_limits(api, max_signal_sources=1)
    token = api.token("alice")
    body = {"name": "tv", "mode": "notify"}
    assert api("POST", "/v1/signal-sources", token=token, body=body).status == 201
    refused = api("POST", "/v1/signal-sources", token=token, body=body)
    assert (refused.status, refused.body["error"]["code"]) == (422, "max_signal_sources")


def test_working_orders_stop_at_the_accounts_cap_but_a_reducing_order_still_goes(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    set_limits(api, max_working_orders=2)
    token = api.token("alice")

    def order(key: str, **fields: str):
        return api("POST", "/v1/orders", token=token, headers={"Idempotency-Key": key},
                   body={"symbol": "AAPL", "side": "buy", "quantity": "1"} | fields)

    assert order("m", quantity="3").status == 201  # filled at market: not working
    assert [order(f"w{n}", order_type="limit", limit_price=str(150 + n)).status for n in range(2)] == [201, 201]
    refused = order("w3", order_type="limit", limit_price="140")
    assert refused.status == 422
    assert [r["code"] for r in refused.body["error"]["details"]["reasons"]] == ["max_working_orders"]
    assert order("sell", side="sell", order_type="limit", limit_price="300").status == 201  # reduces the position
    assert uc.list_orders(api.deps, "alice", open_only=True)
