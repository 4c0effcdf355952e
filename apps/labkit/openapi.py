"""What the apps' OpenAPI documents declare besides their own models: the JSON error
body every failure has, the `pod`/`version` every body carries, and the headers some
answers always send. Declaring them lets a client generated from /openapi.json handle
every answer (tests/apps/test_openapi_fuzz.py holds the apps to it)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

# Strict integer fields refuse 5.0 as they refuse "5"; JSON Schema's "integer" takes
# 5.0, so only words can say it.
STRICT_INTEGER = "A JSON integer: 5, not 5.0 or \"5\""
HTML = {"text/html": {"schema": {"type": "string"}}}  # the content of a page, for `responses=`
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "required": True, "schema": {"type": "string"}}
}
LOCATION = {"Location": {"description": "The path of the created resource", "required": True, "schema": {"type": "string"}}}
_COMPONENTS = "#/components/schemas/"

BIGINT_MAX = 2**63 - 1  # ids are bigints: a larger one cannot exist and would make PostgreSQL raise
# Parameters several apps share: an id in a path and the page of a listing.
Id = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


class Served(BaseModel):
    """Which replica answered (labkit.Identity.fields)."""

    pod: str
    version: str


class ErrorDetail(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(Served):
    """Every error (labkit.error_body): `error` is a code such as "not_found"; `detail` with 422 only."""

    error: str
    message: str
    detail: list[ErrorDetail] | None = None
    request_id: str


def error_responses(*statuses: int, retry_after: tuple[int, ...] = ()) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries declaring labkit's JSON error for each status; the ones in
    `retry_after` always carry a Retry-After header. The content is spelled out rather
    than given as a model, which FastAPI would declare in an HTML route's media type."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": {"$ref": f"{_COMPONENTS}ErrorBody"}}},
            **({"headers": RETRY_AFTER} if status in retry_after else {}),
        }
        for status in statuses
    }


def install_error_schema(app: FastAPI) -> None:
    """Add ErrorBody (which error_responses refers to) to the app's document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _, schemas = models_json_schema([(ErrorBody, "serialization")], ref_template=_COMPONENTS + "{model}")
            build().setdefault("components", {}).setdefault("schemas", {}).update(schemas["$defs"])
        return app.openapi_schema

    app.openapi = openapi
