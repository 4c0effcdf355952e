"""The gateway's API; create_app keeps the two upstream clients on app.state."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from labkit import Who, from_app_state
from labkit.client import ServiceClient, UpstreamError
from labkit.openapi import STRICT_INTEGER, Id, Limit, Offset, Served, error_responses

log = logging.getLogger("gateway")


class StarsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stars: Annotated[int, Field(strict=True, ge=1, le=5, description=STRICT_INTEGER)]


class Author(BaseModel):
    id: int
    name: str
    born: int
    field: str
    bio: str


class AuthorPage(Served):
    authors: list[Author]
    total: int
    limit: int
    offset: int


class Rating(BaseModel):
    count: int
    average: float | None  # null before the first rating


class AuthorView(Served):
    author: Author
    rating: Rating | None  # null while the ratings service cannot answer
    degraded: list[Literal["ratings"]]


class RatingOut(Rating, Served):
    author_id: int


# 502: an upstream answered wrongly (or refused our key); 503/504: it could not be
# reached, or its circuit breaker is open; it timed out.
UPSTREAM_ERRORS = error_responses(502, 503, 504, retry_after=(503, 504))


def _json(response: httpx.Response, upstream: str) -> dict[str, Any]:
    try:
        return response.json()
    except ValueError:
        raise HTTPException(502, f"{upstream} service answered something that is not JSON") from None


async def call(client: ServiceClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    try:
        response = await client.request(method, path, **kwargs)
    except UpstreamError as exc:
        raise HTTPException(exc.status, str(exc), headers={"Retry-After": "5"}) from exc
    if response.status_code in (401, 403):
        # Our key is not (or no longer) in the service's set: an operator problem.
        log.error("upstream refused our API key", extra={"upstream": client.upstream})
        raise HTTPException(502, f"{client.upstream} service refused the gateway's credentials")
    return response


def passthrough_errors(response: httpx.Response, upstream: str) -> dict[str, Any]:
    body = _json(response, upstream)
    if response.status_code == 404:
        raise HTTPException(404, body.get("message", "not found"))
    if response.status_code >= 400:
        raise HTTPException(502, f"{upstream} service answered {response.status_code}")
    return body


@dataclass(frozen=True)
class Upstreams:
    authors: ServiceClient
    ratings: ServiceClient


Services = Annotated[Upstreams, from_app_state("upstreams")]
router = APIRouter(prefix="/api")


@router.get("/authors", response_model=AuthorPage, responses={**error_responses(422), **UPSTREAM_ERRORS})
async def list_authors(services: Services, who: Who, limit: Limit = 20, offset: Offset = 0) -> JSONResponse:
    response = await call(services.authors, "GET", "/api/authors", params={"limit": limit, "offset": offset})
    body = passthrough_errors(response, "authors")
    return JSONResponse({"authors": body["authors"], "total": body["total"], "limit": limit, "offset": offset, **who})


@router.get("/authors/{author_id}", response_model=AuthorView, responses={**error_responses(404, 422), **UPSTREAM_ERRORS})
async def author_page(author_id: Id, services: Services, who: Who) -> JSONResponse:
    author_call = call(services.authors, "GET", f"/api/authors/{author_id}")
    rating_call = call(services.ratings, "GET", f"/api/ratings/{author_id}")
    author_response, rating_response = await asyncio.gather(author_call, rating_call, return_exceptions=True)
    if isinstance(author_response, BaseException):
        raise author_response
    author = passthrough_errors(author_response, "authors")
    degraded = []
    if isinstance(rating_response, BaseException) or rating_response.status_code != 200:
        degraded.append("ratings")
        rating = None
    else:
        body = _json(rating_response, "ratings")
        rating = {"count": body["count"], "average": body["average"]}
    author = {key: author[key] for key in ("id", "name", "born", "field", "bio")}
    return JSONResponse({"author": author, "rating": rating, "degraded": degraded, **who})


@router.post(
    "/authors/{author_id}/ratings",
    status_code=201,
    response_model=RatingOut,
    responses={**error_responses(400, 404, 413, 422), **UPSTREAM_ERRORS},
)
async def rate(author_id: Id, body: StarsIn, services: Services, who: Who) -> JSONResponse:
    response = await call(services.ratings, "POST", "/api/ratings", json={"author_id": author_id, "stars": body.stars})
    summary = passthrough_errors(response, "ratings")
    return JSONResponse(
        {"author_id": author_id, "count": summary["count"], "average": summary["average"], **who}, status_code=201
    )
