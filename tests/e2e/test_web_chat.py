"""The web chat page of `parley serve`, for real: a served page with a working token, driven in headless Chromium.

The server runs in its own process on a free loopback port with a replayed feed; the browser is a local
headless Chromium with its local driver (nothing is downloaded). Both are always stopped; every wait is bounded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from infra.bootstrap import build_platform
from infra.settings import Settings
from infra.tokens import verify_token
from tests.e2e.test_local_platform import HTTP, SECRET, Server, call, start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver"
WAIT = 20
PAGE_TOKEN = re.compile(r'const TOKEN = "([A-Za-z0-9_.-]+)";')
SCRIPT_NONCE = re.compile(r'<script nonce="([^"]+)">')
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    yield from start_server(tmp_path, SECRET, feed_speed="20")  # fast enough that quotes keep flowing


def get_page(url: str) -> tuple[int, Message, str]:
    with HTTP.open(url, timeout=10) as response:
        return response.status, response.headers, response.read().decode()


def test_the_chat_page_is_served_at_the_root_with_a_fresh_working_token_for_the_demo_account(server):
    assert f"Chat      {server.base}/" in server.banner()
    status, headers, page = get_page(f"{server.base}/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "no-store"
    assert "__PARLEY_" not in page
    assert "signed in as demo" in page
    found = PAGE_TOKEN.search(page)
    assert found, page[:2000]
    token = found.group(1)
    assert verify_token(token, SECRET)["sub"] == "demo"
    nonce = SCRIPT_NONCE.search(page).group(1)
    assert f"script-src 'nonce-{nonce}'" in headers["Content-Security-Policy"]
    assert "http" not in re.sub(r'http-equiv|"https?://www\.w3\.org[^"]*"', "", page)  # nothing loaded from elsewhere
    _, again, _ = get_page(f"{server.base}/")
    assert again["Content-Security-Policy"] != headers["Content-Security-Policy"]  # a new nonce per response
    status, answer = call("POST", f"{server.base}/v1/chat", token=token, body={"text": "positions", "thread": "web"})
    assert status == 200, answer
    assert answer["replies"][0]["text"] == "You have no open positions."
    status, schema = call("GET", f"{server.base}/openapi.json")
    assert "/" not in schema["paths"]


def test_the_lambda_app_has_no_chat_page(tmp_path):
    from functions.api.app import create_app

    settings = Settings(store_url=f"sqlite:///{tmp_path / 'p.db'}", feed="off", state_dir=tmp_path)
    platform = build_platform(settings, secret=SECRET)
    try:
        with TestClient(create_app(platform)) as client:
            assert client.get("/").status_code == 404
    finally:
        platform.store.close()


# -- the page in a browser ------------------------------------------------------------------------


@pytest.fixture
def browser(tmp_path, monkeypatch):
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        reason = f"headless Chromium is not installed ({', '.join(missing)} missing); install it with: {INSTALL}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # never let selenium fetch a browser or a driver
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-proxy-server", "--window-size=1100,800", f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(WAIT)
        driver.set_script_timeout(WAIT)
        yield driver
    finally:
        driver.quit()


def replies(driver) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#log .msg.parley")


def reply_with(driver, *phrases: str, after: int = 0):
    """The first reply after the ``after``-th that contains one of the phrases, else False (for a wait)."""
    for reply in replies(driver)[after:]:
        if any(phrase in reply.text for phrase in phrases):
            return reply
    return False


def send(driver, text: str, *, enter: bool) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, "text")
    box.send_keys(text)
    if enter:
        box.send_keys(Keys.ENTER)
    else:
        driver.find_element(By.ID, "send").click()


def test_a_trader_buys_from_the_web_page_by_pressing_confirm_and_sees_the_position(browser, server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    driver, wait = browser, WebDriverWait(browser, WAIT)
    driver.get(f"{server.base}/")
    wait.until(ready.element_to_be_clickable((By.ID, "text")))

    send(driver, "buy 0.01 BTC-USD", enter=True)  # crypto trades at any hour the test runs
    ticket = wait.until(lambda d: reply_with(d, "Reply yes"), message=server.logs())
    buttons = ticket.find_elements(By.TAG_NAME, "button")
    assert [b.text for b in buttons] == ["Confirm", "Cancel"]
    assert re.fullmatch(r"yes \d+", buttons[0].get_attribute("data-command"))
    assert "\nReply yes" in ticket.text  # the reply's line break is kept
    # Count the replies before each click: the answer can arrive before the next line of the test runs.
    seen = len(replies(driver))
    buttons[0].click()
    # A price that moved past the drift band re-asks with a new ticket; press its Confirm too (bounded).
    for _ in range(3):
        answer = wait.until(lambda d, n=seen: reply_with(d, "Done:", "Working:", "Reply yes", after=n),
                            message=server.logs())
        if "Reply yes" not in answer.text:
            break
        seen = len(replies(driver))
        answer.find_element(By.XPATH, ".//button[text()='Confirm']").click()
    assert re.search(r"(Done: BUY 0.01 BTC-USD filled at|Working: )", answer.text), answer.text
    assert all(not b.is_enabled() for b in buttons), "a reply's buttons are disabled once one is used"
    assert [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#log .msg.trader")][:2] == [
        "buy 0.01 BTC-USD", buttons[0].get_attribute("data-command"),
    ]

    send(driver, "positions", enter=False)
    held = wait.until(lambda d: reply_with(d, "Positions:"), message=server.logs())
    assert re.search(r"^Positions:\nBTC-USD 0.01 @ ", held.text), held.text
    screenshot = tmp_path / "web-chat.png"
    assert driver.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000

    # What is typed, and what comes back, is shown as text: markup in it is never parsed.
    markup = "<img src=x onerror=document.title='owned'>"
    send(driver, markup, enter=True)
    wait.until(lambda d: reply_with(d, "I didn't catch that"), message=server.logs())
    assert driver.find_elements(By.CSS_SELECTOR, "#log .msg.trader")[-1].text == markup
    assert driver.find_elements(By.CSS_SELECTOR, "#log img") == []
    assert driver.title == "Parley chat"

    # A refusal from the API (the text is over the limit) shows up as an error line, not as a reply.
    driver.execute_script("document.getElementById('text').removeAttribute('maxlength')")
    driver.execute_script("document.getElementById('text').value = 'x'.repeat(2001)")
    driver.find_element(By.ID, "send").click()
    error = wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, "#log .error")))
    assert error.text.startswith("Error 422: "), error.text

    logs = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "/v1/chat" not in e["message"]]
    assert logs == [], logs  # no blocked inline code, no failed loads (the 422 above is expected)
