"""The FastAPI application, built around a Platform from the composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from functions.api.alerts import router as alerts_router
from functions.api.channels import router as channels_router
from functions.api.chat import router as chat_router
from functions.api.docs import install_docs
from functions.api.errors import install_error_handlers
from functions.api.routes import router
from functions.api.trading import router as trading_router
from infra.bootstrap import Platform

DESCRIPTION = (
    "Parley's HTTPS API: place and cancel orders, read positions, portfolio, quotes and risk limits. "
    "Authenticate with `Authorization: Bearer <JWT>`; `POST /v1/orders` needs an `Idempotency-Key` header. "
    "Bodies are JSON (`Content-Type: application/json`, at most 64 KB). Amounts travel as decimal strings "
    "and are read from JSON numbers too. Every error is `{\"error\": {\"code\": ..., \"message\": ...}}`."
)


def create_app(platform: Platform, on_shutdown: Callable[[], None] | None = None) -> FastAPI:
    """``on_shutdown`` runs when the server stops (the local server closes its feed and store there)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if on_shutdown is not None:
            on_shutdown()

    app = FastAPI(title="Parley", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.platform = platform
    install_error_handlers(app)
    install_docs(app)
    app.include_router(router)
    app.include_router(trading_router)
    app.include_router(chat_router)
    app.include_router(alerts_router)
    app.include_router(channels_router)
    return app
