"""JSON error bodies for every failure: clients never see HTML or a stack trace."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from .identity import Identity
from .logs import request_id_var


def error_code(status: int) -> str:
    """A stable machine-readable code, e.g. 404 -> "not_found"."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "error"
    return phrase.lower().replace(" ", "_").replace("-", "_")


def error_body(identity: Identity, status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "error": error_code(status),
        "message": message,
        **extra,
        "request_id": request_id_var.get(),
        **identity.fields(),
    }


def error_response(
    identity: Identity, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(identity, status, message, **extra), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only location, message and type: pydantic's "input"/"ctx" may echo huge or
    # non-serialisable values back to the client.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI, identity: Identity) -> None:
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else error_code(exc.status_code)
        return error_response(identity, exc.status_code, message, headers=exc.headers)

    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        if any(d["type"] == "json_invalid" for d in details):
            message = "request body is not valid JSON"
        else:
            message = "request validation failed"
        return error_response(identity, 422, message, detail=details)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
