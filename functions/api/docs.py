"""``/docs``: Swagger UI served from the installed swagger-ui-bundle package, so it works with no network.

FastAPI's self-hosted docs recipe: the page is FastAPI's own, pointed at three asset files that this app
serves itself instead of a CDN. Only those files are served, and only when asked for.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from core.errors import NotFound

ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
ASSET_PATH = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs for ``app.openapi_url`` (create the app with ``docs_url=None``)."""

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")  # an API Gateway stage, when there is one
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} API",
            swagger_js_url=f"{root}{ASSET_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSET_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSET_PATH}/favicon-32x32.png",
        )

    @app.get(ASSET_PATH + "/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise NotFound(f"No documentation asset {name!r}.")
        from swagger_ui_bundle import swagger_ui_path  # on the first asset request, not on a cold start

        return FileResponse(swagger_ui_path / name, headers={"Cache-Control": "public, max-age=86400"})
