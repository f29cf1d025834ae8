"""The API's contract as a client sees it, through the Lambda handler: what the OpenAPI document promises,
how bodies are read (JSON only, bounded, authentication first), strict numbers, Allow, and 404s for admins."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.functional.conftest import Api

MARKET_BUY = {"symbol": "AAPL", "side": "buy", "quantity": "1"}
ERROR_REF = "#/components/schemas/ErrorOut"


def document(api: Api) -> dict:
    return api("GET", "/openapi.json").body


def operations(api: Api):
    for path, methods in document(api)["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def keywords(schema) -> set[str]:
    """Every key used anywhere in a JSON Schema."""
    if isinstance(schema, dict):
        return set(schema) | {k for value in schema.values() for k in keywords(value)}
    if isinstance(schema, list):
        return {k for value in schema for k in keywords(value)}
    return set()


def error(response) -> tuple[int, str]:
    return response.status, response.body["error"]["code"]


def post(api: Api, path: str, raw: bytes, content_type: str | None = "application/json", token: str | None = None):
    headers = {"Idempotency-Key": "k-1"}
    if content_type:
        headers["Content-Type"] = content_type
    return api("POST", path, raw=raw, headers=headers, token=token)


# --- What the document says -------------------------------------------------------------------------------


def test_the_idempotency_key_is_documented_as_required_with_the_pattern_the_server_applies(api: Api) -> None:
    params = document(api)["paths"]["/v1/orders"]["post"]["parameters"]
    [key] = [p for p in params if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["required"] is True
    pattern = re.compile(key["schema"]["pattern"])
    token = api.token("alice")
    api.quote("AAPL", "189.98", "190.02")
    for quantity, value in enumerate(("order-1", "x" * 255, "!~"), start=1):  # other quantities: no duplicates
        assert pattern.search(value)
        order = {**MARKET_BUY, "quantity": str(quantity)}
        placed = api("POST", "/v1/orders", body=order, token=token, headers={"Idempotency-Key": value})
        assert placed.status == 201, (value, placed.body)
    for value in ("x" * 256, "two words", "caf\u00e9"):
        assert not pattern.search(value)
        refused = api("POST", "/v1/orders", body=MARKET_BUY, token=token, headers={"Idempotency-Key": value})
        assert error(refused) == (400, "idempotency_key_invalid"), value


def test_every_error_answer_is_documented_with_the_error_shape_and_fastapis_422_is_gone(api: Api) -> None:
    doc = document(api)
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    error_out = doc["components"]["schemas"]["ErrorOut"]
    assert error_out["required"] == ["error"]
    for method, path, operation in operations(api):
        errors = {code: r for code, r in operation["responses"].items() if code.startswith(("4", "5"))}
        for code, response in errors.items():
            assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, (method, path, code)
        if path != "/health":
            assert {"401", "503"} <= set(errors), (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= set(errors), (method, path)
            assert list(operation["requestBody"]["content"]) == ["application/json"], (method, path)


def test_amounts_are_documented_as_positive_decimal_strings_or_numbers_with_no_stray_keywords(api: Api) -> None:
    request = document(api)["components"]["schemas"]["OrderRequest"]["properties"]
    [amount, null] = request["quantity"]["anyOf"]
    assert null == {"type": "null"}
    number, string = amount["anyOf"]
    assert number == {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10**15}
    assert string["type"] == "string"
    assert not keywords(request) & {"gt", "ge", "lt", "le"}
    pattern = re.compile(string["pattern"])
    for accepted in ("1", "10", "0.5", "78.50", "0.00000001"):
        assert pattern.search(accepted), accepted
    for refused in ("", "0", "0.00", "-1", "1_0", "1e3", " 1", "\uff11", "\u0663", ".5", "1."):
        assert not pattern.search(refused), refused
    percent = request["trail_percent"]["anyOf"][0]["anyOf"]
    assert percent[0]["exclusiveMaximum"] == 100 and not re.search(percent[1]["pattern"], "100")


# --- Numbers and symbols are read strictly ----------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["1_0", "\uff12", "\u0663", "", "0", " 1", "1e1", 0, -1, True])
def test_an_order_quantity_that_is_not_plain_positive_decimal_is_a_422(api: Api, quantity) -> None:
    api.quote("AAPL", "189.98", "190.02")
    refused = api("POST", "/v1/orders", body={**MARKET_BUY, "quantity": quantity}, token=api.token("alice"),
                  headers={"Idempotency-Key": "q"})
    assert error(refused) == (422, "validation_error"), quantity


def test_a_symbol_that_only_upper_cases_to_a_real_one_names_nothing(api: Api) -> None:
    api.quote("SPY", "600.00", "600.02")
    token = api.token("alice")
    placed = api("POST", "/v1/orders", body={**MARKET_BUY, "symbol": "\u017fPY"}, token=token,
                 headers={"Idempotency-Key": "s"})
    assert error(placed) == (422, "validation_error")
    assert error(api("GET", "/v1/quotes/%C5%BFPY", token=token)) == (404, "unknown_symbol")
    assert api("GET", "/v1/quotes/spy", token=token).status == 200


def test_limits_and_the_kill_switch_read_numbers_and_booleans_strictly(api: Api) -> None:
    ops = api.token("ops")
    limits = api("GET", "/v1/risk/limits", token=ops).body["limits"]
    for field, value in [("max_order_quantity", "1_0"), ("max_order_quantity", "\uff15"), ("kill_switch", 0),
                         ("duplicate_window_seconds", "5"), ("duplicate_window_seconds", 5.5),
                         ("max_order_notional", "0")]:
        refused = api("PUT", "/v1/risk/limits", token=ops, body={**limits, field: value})
        assert error(refused) == (422, "validation_error"), (field, value)
    assert error(api("POST", "/v1/risk/kill-switch", token=ops, body={"engaged": "yes"})) == (422, "validation_error")
    assert api("PUT", "/v1/risk/limits", token=ops, body={**limits, "max_order_quantity": 25}).status == 200
    assert error(api("GET", "/v1/orders", token=ops, query={"limit": "1_0"})) == (422, "validation_error")


# --- Bodies: JSON only, bounded, and authentication first -------------------------------------------------


def test_a_body_that_is_not_json_is_a_415(api: Api) -> None:
    token = api.token("alice")
    assert error(post(api, "/v1/orders", b'{"symbol": "AAPL"}', "text/plain", token)) == (415, "unsupported_media_type")
    form = post(api, "/v1/orders", b"symbol=AAPL&side=buy", "application/x-www-form-urlencoded", token)
    assert error(form) == (415, "unsupported_media_type")
    assert error(post(api, "/v1/chat", b'{"text": "hi"}', None, token)) == (415, "unsupported_media_type")
    assert api("POST", "/v1/chat", raw=b'{"text": "orders"}', token=token,
               headers={"Content-Type": "application/json; charset=utf-8"}).status == 200


def test_a_body_over_64_kb_is_a_413(api: Api) -> None:
    body = b'{"text": "' + b"x" * (64 * 1024) + b'"}'
    assert error(post(api, "/v1/chat", body, token=api.token("alice"))) == (413, "body_too_large")


@pytest.mark.parametrize("raw", [
    b"{not json", b'{"text": "\xff\xfe"}', b"[" * 60_000, b'{"text": "hi"', b"\x00",
])
def test_every_malformed_body_is_malformed_json(api: Api, raw: bytes) -> None:
    assert error(post(api, "/v1/chat", raw, token=api.token("alice"))) == (400, "malformed_json")


@pytest.mark.parametrize(("raw", "content_type"), [
    (b"{not json", "application/json"), (b"x" * 70_000, "application/json"), (b"hello", "text/plain"),
])
def test_authentication_is_checked_before_the_body(api: Api, raw: bytes, content_type: str) -> None:
    for path in ("/v1/orders", "/v1/chat", "/v1/risk/kill-switch"):
        assert error(post(api, path, raw, content_type)) == (401, "missing_token"), path
        assert error(post(api, path, raw, content_type, token="forged")) == (401, "invalid_token"), path


def test_every_operation_that_takes_a_body_authenticates_before_reading_it(api: Api) -> None:
    """Over the document, so an operation added later is held to it too."""
    for method, path, operation in operations(api):
        if "requestBody" in operation:
            concrete = re.sub(r"\{[^}]+\}", "X", path)
            response = api(method, concrete, raw=b"{not json", headers={"Content-Type": "application/json"})
            assert error(response) == (401, "missing_token"), (method, path)


def test_chat_refuses_unknown_fields(api: Api) -> None:
    response = api("POST", "/v1/chat", body={"text": "orders", "channel": "sms"}, token=api.token("alice"))
    assert error(response) == (422, "validation_error")
    assert "channel" in response.body["error"]["message"]


# --- Allow, 404s for admins -------------------------------------------------------------------------------


def test_options_and_405_list_every_method_the_document_gives_the_path(api: Api) -> None:
    token = api.token("alice")
    paths = document(api)["paths"]
    assert {"get", "put"} <= set(paths["/v1/risk/limits"])  # the path that answered "Allow: GET" before
    for path, methods in paths.items():
        concrete = re.sub(r"\{[^}]+\}", "ABC", path)
        declared = {m.upper() for m in methods}
        expected = declared | {"OPTIONS"} | ({"HEAD"} if "GET" in declared else set())
        options = api("OPTIONS", concrete, token=token)
        assert options.status == 204, path
        assert {m.strip() for m in options.headers["allow"].split(",")} == expected, path
        undeclared = next(m for m in ("PATCH", "PUT", "DELETE", "POST") if m not in declared)
        refused = api(undeclared, concrete, token=token)
        assert error(refused) == (405, "method_not_allowed"), (undeclared, path)
        assert {m.strip() for m in refused.headers["allow"].split(",")} == expected, path


def test_an_admin_reading_an_account_that_does_not_exist_gets_404_everywhere(api: Api) -> None:
    ops, ghost = api.token("ops"), {"account_id": "ghost"}
    for method, path in [("GET", "/v1/orders"), ("GET", "/v1/positions"), ("GET", "/v1/portfolio"),
                         ("GET", "/v1/risk/limits"), ("GET", "/v1/orders/ABC"), ("DELETE", "/v1/orders/ABC")]:
        assert error(api(method, path, token=ops, query=ghost)) == (404, "not_found"), path
    limits = api("GET", "/v1/risk/limits", token=ops).body["limits"]
    assert api("PUT", "/v1/risk/limits", token=ops, query=ghost, body=limits).status == 404
    engage = api("POST", "/v1/risk/kill-switch", token=ops, body={"engaged": True, "account_id": "ghost"})
    assert engage.status == 404


# --- /docs works offline ----------------------------------------------------------------------------------


def test_the_docs_page_loads_swagger_ui_from_this_api_and_nothing_from_elsewhere(api: Api) -> None:
    page = api("GET", "/docs")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.body)
    assert urls and all(url.startswith("/") for url in urls), urls  # same origin only: no CDN
    assert "/openapi.json" in urls
    kinds = {"/docs/assets/swagger-ui-bundle.js": "javascript", "/docs/assets/swagger-ui.css": "text/css",
             "/docs/assets/favicon-32x32.png": "image/png"}
    assert set(kinds) <= set(urls)
    for url, kind in kinds.items():
        asset = api("GET", url)
        assert asset.status == 200 and kind in asset.headers["content-type"], url
        assert len(asset.body) > 100, url
    assert "SwaggerUIBundle" in api("GET", "/docs/assets/swagger-ui-bundle.js").body
    assert api("GET", "/docs/assets/index.html").status == 404
    assert api("GET", "/docs/assets/..%2F..%2F__init__.py").status == 404


def test_a_streamed_body_is_refused_at_64_kb_without_being_read_whole(api: Api) -> None:
    """No Content-Length (a chunked upload): reading stops at the first chunk past the limit."""
    chunk, chunks = b"x" * 1024, 1000
    sent: list[int] = []
    answer: dict = {}

    async def receive() -> dict:
        sent.append(1)
        return {"type": "http.request", "body": b'{"text": "' if len(sent) == 1 else chunk, "more_body": True}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] = answer.get("body", b"") + message.get("body", b"")

    headers = [(b"authorization", f"Bearer {api.token('alice')}".encode()), (b"content-type", b"application/json"),
               (b"transfer-encoding", b"chunked"), (b"host", b"testserver")]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/v1/chat", "raw_path": b"/v1/chat", "root_path": "", "query_string": b"", "headers": headers,
             "server": ("testserver", 80), "client": ("127.0.0.1", 5000)}
    asyncio.run(api.module.asgi.app(scope, receive, send))
    assert answer["status"] == 413 and b"body_too_large" in answer["body"]
    assert len(sent) <= 64 + 2 < chunks  # 64 KB of 1 KB chunks, and the one that went past
