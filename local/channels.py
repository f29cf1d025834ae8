"""The channel side of the local platform, on the AWS code path: the provider webhooks are mounted at the paths
API Gateway serves them on (each request wrapped into the HTTP API event its Lambda handler takes), accepted
messages go to a worker thread that plays the conversation queue's consumer, and notifications go through the
notify worker. With no provider credentials every send lands in the outbox (``parley outbox --json``)."""

from __future__ import annotations

import base64
import importlib
import logging
import queue
import threading
from collections.abc import Callable

from fastapi import FastAPI, Request, Response

from core.channels import Inbound
from functions.workers.channels import ConversationWorker
from infra.bootstrap import Platform
from infra.queues.local import InProcessInbox

log = logging.getLogger("parley.channels")
# The modules that serve webhooks; each has ROUTES: {path: respond(platform, event) -> response}.
WEBHOOK_MODULES = ("functions.webhooks.telegram", "functions.webhooks.twilio", "functions.webhooks.sendgrid")

Respond = Callable[[Platform, dict], dict]


def http_api_event(request: Request, body: bytes, route: str, path_parameters: dict[str, str] | None = None) -> dict:
    """A request as the event API Gateway's HTTP API (payload format 2.0) hands a Lambda function."""
    return {
        "version": "2.0", "routeKey": route, "rawPath": request.url.path, "rawQueryString": request.url.query,
        "headers": {k.lower(): v for k, v in request.headers.items()},
        "queryStringParameters": dict(request.query_params) or None,
        "requestContext": {"http": {"method": request.method, "path": request.url.path, "protocol": "HTTP/1.1",
                                    "sourceIp": request.client.host if request.client else "127.0.0.1",
                                    "userAgent": request.headers.get("user-agent", "")},
                           "routeKey": route, "stage": "$default"},
        "pathParameters": path_parameters or None,
        "body": base64.b64encode(body).decode(), "isBase64Encoded": True,
    }


def webhook_routes() -> dict[str, Respond]:
    routes: dict[str, Respond] = {}
    for name in WEBHOOK_MODULES:
        routes |= importlib.import_module(name).ROUTES
    return routes


def mount_channel_webhooks(app: FastAPI, platform: Platform) -> None:
    for path, respond in webhook_routes().items():
        app.add_api_route(path, _endpoint(platform, path, respond), methods=["POST"], include_in_schema=False)


def _endpoint(platform: Platform, path: str, respond: Respond) -> Callable:
    async def webhook(request: Request) -> Response:
        answer = respond(platform, http_api_event(request, await request.body(), f"POST {path}"))
        headers = answer.get("headers") or {}
        return Response(answer.get("body", ""), status_code=answer["statusCode"],
                        media_type=headers.get("content-type", "application/json"))

    return webhook


class LocalConversations:
    """The conversation queue's consumer: one thread answers accepted messages in order, after the webhook
    has answered, as the SQS-triggered worker does in AWS."""

    def __init__(self, platform: Platform) -> None:
        self.worker = ConversationWorker(platform, log)
        self._queue: queue.Queue[Inbound | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        if isinstance(platform.inbox, InProcessInbox):
            platform.inbox.deliver = self._queue.put

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="conversations", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def drain(self) -> None:
        """Answer what is waiting now, on this thread (tests, and `parley` commands that do not serve)."""
        while True:
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                return
            if message is not None:
                self._answer(message)

    def _run(self) -> None:
        while (message := self._queue.get()) is not None:
            self._answer(message)

    def _answer(self, message: Inbound) -> None:
        try:
            self.worker.answer(message)
        except Exception:  # the worker thread outlives one failed message, as a queue would retry it
            log.exception("message %s not answered", message.id)
