"""The FastAPI application, built around a Platform from the composition root."""

from __future__ import annotations

from fastapi import FastAPI

from functions.api.errors import install_error_handlers
from functions.api.routes import router
from infra.bootstrap import Platform

DESCRIPTION = (
    "Parley's HTTPS API: place and cancel orders, read positions, portfolio, quotes and risk limits. "
    "Authenticate with `Authorization: Bearer <JWT>`; `POST /v1/orders` needs an `Idempotency-Key` header."
)


def create_app(platform: Platform) -> FastAPI:
    app = FastAPI(title="Parley", version="0.1.0", description=DESCRIPTION)
    app.state.platform = platform
    install_error_handlers(app)
    app.include_router(router)
    return app
