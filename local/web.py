"""The local web chat: one static page at ``/`` that talks to ``POST /v1/chat`` as the demo account.

Only `parley serve` mounts it (the Lambda app has no pages). Each time the page is served it carries a
fresh token, so opening the browser is the whole sign-in; so it is served only to a Host header that names
this machine by a loopback name or address and the server's port (a DNS-rebinding page gets a 404). The
page is self-contained: inline CSS and JS, allowed by a per-response nonce, and a Content-Security-Policy
that lets it load nothing from elsewhere.
"""

from __future__ import annotations

import html
import json
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from core import usecases as uc
from core.errors import NotFound
from infra.bootstrap import Platform
from infra.tokens import issue_token
from local.net import is_local_host_header

PAGE = Path(__file__).parent / "web" / "chat.html"
TOKEN_SLOT = '"__PARLEY_TOKEN__"'
NONCE_SLOT = "__PARLEY_NONCE__"
ACCOUNT_SLOT = "__PARLEY_ACCOUNT__"


@cache
def template() -> str:
    return PAGE.read_text(encoding="utf-8")


def js_string(value: str) -> str:
    """A JS string literal that is also safe inside an inline <script> (no "</script>", no "<!--")."""
    literal = json.dumps(value)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                          ("\u2029", "\\u2029")):
        literal = literal.replace(char, escaped)
    return literal


def render_chat_page(token: str, account_id: str, nonce: str) -> str:
    return (
        template()
        .replace(TOKEN_SLOT, js_string(token))
        .replace(ACCOUNT_SLOT, html.escape(account_id))
        .replace(NONCE_SLOT, nonce)
    )


def mount_chat_page(app: FastAPI, platform: Platform, port: int) -> None:
    """``GET /``: the chat page, with a token for ``settings.demo_account`` minted for this response, for a
    request addressed to this machine on ``port`` only."""
    settings = platform.settings

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def chat_page(request: Request) -> HTMLResponse:
        if not is_local_host_header(request.headers.get("host"), port):
            raise NotFound("Not Found")  # the same answer as a path that does not exist
        account = uc.get_account(platform.deps, settings.demo_account)
        token = issue_token(account, platform.jwt_secret(), timedelta(seconds=settings.jwt_ttl_seconds))
        nonce = secrets.token_urlsafe(16)
        policy = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                  "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        headers = {
            "Content-Security-Policy": policy,
            "Cache-Control": "no-store",  # the page carries a bearer token
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        }
        return HTMLResponse(render_chat_page(token, account.id, nonce), headers=headers)
