"""The ratings API; create_app mounts it behind the API-key check and keeps its Store
on app.state."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from labkit import Who, from_app_state
from labkit.client import ServiceClient, UpstreamError
from labkit.openapi import BIGINT_MAX, STRICT_INTEGER, Id, Served, error_responses

log = logging.getLogger("ratings")


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author_id: Annotated[int, Field(strict=True, ge=1, le=BIGINT_MAX, description=STRICT_INTEGER)]
    stars: Annotated[int, Field(strict=True, ge=1, le=5, description=STRICT_INTEGER)]


class RatingSummary(Served):
    author_id: int
    count: int
    average: float | None  # null before the first rating


@dataclass
class Tally:
    count: int = 0
    total: int = 0

    def summary(self, author_id: int) -> dict:
        average = round(self.total / self.count, 2) if self.count else None
        return {"author_id": author_id, "count": self.count, "average": average}


@dataclass
class Store:
    """The ratings of this process, and the client checking their authors."""

    authors: ServiceClient
    tallies: dict[int, Tally] = field(default_factory=dict)

    async def ensure_author_exists(self, author_id: int) -> None:
        try:
            response = await self.authors.request("GET", f"/api/authors/{author_id}")
        except UpstreamError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        if response.status_code == 404:
            raise HTTPException(404, f"author {author_id} not found")
        if response.status_code != 200:
            # 401 here means our AUTHORS_API_KEY is not in the authors service's set.
            log.error("authors service refused the call", extra={"status": response.status_code})
            raise HTTPException(502, f"authors service answered {response.status_code}")


Ratings = Annotated[Store, from_app_state("store")]
router = APIRouter(prefix="/api")


# 404: an author the authors service does not know; 502-504: it could not tell.
@router.post(
    "/ratings",
    status_code=201,
    response_model=RatingSummary,
    responses=error_responses(400, 404, 413, 422, 502, 503, 504),
)
async def rate(body: RatingIn, store: Ratings, who: Who) -> JSONResponse:
    await store.ensure_author_exists(body.author_id)
    tally = store.tallies.setdefault(body.author_id, Tally())
    tally.count += 1
    tally.total += body.stars
    log.info("rating stored", extra={"author_id": body.author_id, "stars": body.stars})
    return JSONResponse({**tally.summary(body.author_id), **who}, status_code=201)


@router.get("/ratings/{author_id}", response_model=RatingSummary, responses=error_responses(422))
async def summary(author_id: Id, store: Ratings, who: Who) -> JSONResponse:
    return JSONResponse({**store.tallies.get(author_id, Tally()).summary(author_id), **who})
