"""One place that turns errors into HTTP answers, ``{"error": {"code": ..., "message": ...}}`` and never a
trace, and that documents them: every operation declares its error answers with ``responses_for``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from core import errors
from functions.api.schemas import ErrorOut

log = logging.getLogger("parley.api")


class BodyTooLarge(errors.BadRequest):
    code = "body_too_large"


class UnsupportedMediaType(errors.BadRequest):
    code = "unsupported_media_type"


STATUS_BY_ERROR: list[tuple[type[errors.ParleyError], int]] = [
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.QuoteUnavailable, 404),
    (errors.IdempotencyKeyReused, 422),
    (errors.RiskRejected, 422),
    (errors.Conflict, 409),
    (errors.InvalidRequest, 422),
    (errors.StoreError, 503),
    (BodyTooLarge, 413),
    (UnsupportedMediaType, 415),
    (errors.BadRequest, 400),
]

# What each status means in this API, as the OpenAPI document says it.
MEANING = {
    400: "The request is malformed: a body that is not JSON (`malformed_json`), or a missing or invalid "
         "`Idempotency-Key` (`idempotency_key_required`, `idempotency_key_invalid`).",
    401: "No valid bearer token: missing, malformed, expired, or naming an account that does not exist.",
    403: "The caller may not do this: another account's data, or an admin-only operation.",
    404: "No such thing: order, account, symbol, or no quote for the symbol yet.",
    409: "The request clashes with the current state: the order is already final, or the record changed "
         "meanwhile (`concurrent_update`; retry).",
    413: "The body is larger than 64 KB (`body_too_large`).",
    415: "The body is not sent as `Content-Type: application/json` (`unsupported_media_type`).",
    422: "Well-formed but refused: a field fails validation (`validation_error`, with `details.problems`), "
         "an instrument rule (`invalid_tick`, `invalid_lot`, `unknown_symbol`), the risk gate "
         "(`risk_rejected`, with `details.reasons`), or an `Idempotency-Key` reused with another body.",
    503: "The store is unavailable (`store_error`); retry later.",
}
# Every authenticated operation can answer these; one that takes a JSON body these too.
AUTHENTICATED = (401, 503)
WITH_BODY = (400, 413, 415, 422)


def responses_for(*statuses: int, body: bool = False, public: bool = False) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an operation: its error answers, each with the error schema. Authenticated
    operations (all but ``public`` ones) add 401 and 503; ``body`` adds 400, 413, 415 and 422.

    ``@router.put("/v1/x", responses=responses_for(403, 404, 409, body=True))``
    """
    wanted = set(statuses) | (set() if public else set(AUTHENTICATED)) | (set(WITH_BODY) if body else set())
    unknown = wanted - set(MEANING)
    if unknown:
        raise ValueError(f"no documented meaning for status {sorted(unknown)}")
    return {status: {"model": ErrorOut, "description": MEANING[status]} for status in sorted(wanted)}


def use_error_shape_for_validation(app: FastAPI) -> None:
    """FastAPI documents a 422 of its own (``HTTPValidationError``) on every operation with parameters that does
    not list one; Parley answers validation errors with the error shape, so the document says that instead."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for operation in (op for ops in document.get("paths", {}).values() for op in ops.values()):
            answer = operation.get("responses", {}).get("422", {})
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref", "").endswith("/HTTPValidationError"):
                answer.update(description=MEANING[422], content={"application/json": {"schema": {
                    "$ref": "#/components/schemas/ErrorOut"}}})
        schemas = document.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def status_for(exc: errors.ParleyError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 400


def error_body(code: str, message: str, **details: Any) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = jsonable_encoder(details)
    return {"error": body}


def allowed_methods(request: Request) -> list[str] | None:
    """The methods the OpenAPI document lists for the request's path (with HEAD and OPTIONS), or None for a
    path it does not describe. Answering 405 from the document keeps ``Allow`` true across routers."""
    templates = getattr(request.app.state, "path_templates", None)
    if templates is None:
        paths = request.app.openapi().get("paths", {})
        templates = [(compile_path(path)[0], sorted(m.upper() for m in ops)) for path, ops in paths.items()]
        request.app.state.path_templates = templates
    path, root = request.scope["path"], request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    for regex, methods in templates:
        if regex.match(path):
            extra = ["HEAD"] if "GET" in methods else []
            return [*methods, *extra, "OPTIONS"]
    return None


def install_error_handlers(app: FastAPI) -> None:
    use_error_shape_for_validation(app)

    @app.exception_handler(errors.ParleyError)
    async def parley_error(_: Request, exc: errors.ParleyError) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(exc.code, exc.message, **exc.details), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in problems)
        return JSONResponse(error_body("validation_error", summary, problems=problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            methods = allowed_methods(request)
            if methods is not None:
                headers["Allow"] = ", ".join(methods)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=headers)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "Something went wrong on our side."), status_code=500)
