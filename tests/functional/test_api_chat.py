"""POST /v1/chat through the Lambda handler: the grammar path, tickets and buttons, bad input."""

from __future__ import annotations

from tests.functional.conftest import Api


def chat(api: Api, text: str, account: str = "alice", thread: str | None = None):
    body = {"text": text} if thread is None else {"text": text, "thread": thread}
    return api("POST", "/v1/chat", body=body, token=api.token(account))


def test_an_order_typed_in_chat_is_staged_then_confirmed_through_the_api(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    staged = chat(api, "buy 10 AAPL @ 190.05")
    assert staged.status == 200
    [reply] = staged.body["replies"]
    assert reply["text"].startswith("BUY 10 AAPL LMT 190.05 DAY, est. 1,900.50 USD, risk OK, PAPER.")
    confirm, cancel = reply["actions"]
    assert confirm["label"] == "Confirm" and confirm["command"].startswith("yes ")
    assert cancel["command"] == "no " + confirm["command"].split()[1]
    assert api("GET", "/v1/positions", token=api.token("alice")).body["positions"] == []
    done = chat(api, confirm["command"]).body["replies"][0]["text"]
    assert done.startswith("Done: BUY 10 AAPL filled at 190.02")
    orders = api("GET", "/v1/orders", token=api.token("alice")).body["orders"]
    assert [(o["status"], o["source"]) for o in orders] == [("filled", "chat")]


def test_a_ticket_is_confirmed_only_by_its_own_account(api: Api) -> None:
    api.quote("AAPL", "189.98", "190.02")
    command = chat(api, "buy 1 AAPL").body["replies"][0]["actions"][0]["command"]
    answer = chat(api, command, account="bob").body["replies"][0]["text"]
    assert "No order of yours is waiting" in answer
    assert api("GET", "/v1/orders", token=api.token("alice")).body["orders"][0]["status"] == "pending_confirmation"


def test_chat_without_a_token_or_with_bad_input_gets_a_4xx(api: Api) -> None:
    assert api("POST", "/v1/chat", body={"text": "positions"}).status == 401
    token = api.token("alice")
    assert api("POST", "/v1/chat", body={"text": ""}, token=token).status == 422
    assert api("POST", "/v1/chat", body={"text": "x" * 2001}, token=token).status == 422
    assert api("POST", "/v1/chat", body={"text": "hi", "thread": "a b"}, token=token).status == 422
    assert api("POST", "/v1/chat", body="{oops", token=token).status == 400


def test_free_text_with_no_model_configured_lists_the_commands(api: Api) -> None:
    [reply] = chat(api, "I fancy ten of the fruit company").body["replies"]
    assert "No AI model is configured" in reply["text"] and "buy 10 AAPL" in reply["text"]
