"""The ratings service: 1-5 star ratings per author, kept in memory.

In memory on purpose: the exercise is about calls between services, and one replica
is enough to show them (a second replica would hold its own ratings).
A rating is accepted only for an author the authors service knows.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

import labkit
from labkit.auth import protected_router
from labkit.client import ServiceClient, UpstreamError
from labkit.openapi import STRICT_INTEGER, Served, error_responses
from labkit.tracing import setup_tracing

from .settings import Settings

log = logging.getLogger("ratings")

AuthorId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author_id: Annotated[int, Field(strict=True, ge=1, le=2**63 - 1, description=STRICT_INTEGER)]
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


def create_app(settings: Settings) -> FastAPI:
    identity = settings.identity
    who = identity.fields()
    tallies: dict[int, Tally] = {}
    authors = ServiceClient.from_settings(settings.authors)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        health.started = True
        yield
        await authors.close()
        tracer_provider.shutdown()

    app = FastAPI(title="ratings", version=settings.identity.version, lifespan=lifespan, redoc_url=None)
    health = labkit.setup(app, identity, max_body_bytes=4096)
    tracer_provider = setup_tracing(app, "ratings", settings.identity.version, settings.trace_exporter)
    api = protected_router(settings.api_keys)

    async def ensure_author_exists(author_id: int) -> None:
        try:
            response = await authors.request("GET", f"/api/authors/{author_id}")
        except UpstreamError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        if response.status_code == 404:
            raise HTTPException(404, f"author {author_id} not found")
        if response.status_code != 200:
            # 401 here means our AUTHORS_API_KEY is not in the authors service's set.
            log.error("authors service refused the call", extra={"status": response.status_code})
            raise HTTPException(502, f"authors service answered {response.status_code}")

    # 404: an author the authors service does not know; 502-504: it could not tell.
    @api.post(
        "/ratings",
        status_code=201,
        response_model=RatingSummary,
        responses=error_responses(400, 404, 413, 422, 502, 503, 504),
    )
    async def rate(body: RatingIn) -> JSONResponse:
        await ensure_author_exists(body.author_id)
        tally = tallies.setdefault(body.author_id, Tally())
        tally.count += 1
        tally.total += body.stars
        log.info("rating stored", extra={"author_id": body.author_id, "stars": body.stars})
        return JSONResponse({**tally.summary(body.author_id), **who}, status_code=201)

    @api.get("/ratings/{author_id}", response_model=RatingSummary, responses=error_responses(422))
    async def summary(author_id: AuthorId) -> JSONResponse:
        return JSONResponse({**tallies.get(author_id, Tally()).summary(author_id), **who})

    app.include_router(api)
    return app
