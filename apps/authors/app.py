"""The authors service. Every /api route needs a valid X-API-Key; probes and /metrics do not."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import labkit
from labkit.auth import protected_router
from labkit.openapi import Served, error_responses
from labkit.tracing import setup_tracing

from .catalogue import AUTHORS
from .settings import Settings

log = logging.getLogger("authors")


class Author(BaseModel):
    id: int
    name: str
    born: int
    field: str
    bio: str


class AuthorOut(Author, Served):
    pass


class AuthorPage(Served):
    authors: list[Author]
    total: int
    limit: int
    offset: int


def create_app(settings: Settings) -> FastAPI:
    identity = settings.identity
    who = identity.fields()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        health.started = True
        yield
        tracer_provider.shutdown()

    app = FastAPI(title="authors", version=settings.identity.version, lifespan=lifespan, redoc_url=None)
    health = labkit.setup(app, identity)
    tracer_provider = setup_tracing(app, "authors", settings.identity.version, settings.trace_exporter)
    api = protected_router(settings.api_keys)

    @api.get("/authors", response_model=AuthorPage, responses=error_responses(422))
    async def list_authors(
        limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0
    ) -> JSONResponse:
        ids = sorted(AUTHORS)[offset : offset + limit]
        authors = [{"id": i, **AUTHORS[i]} for i in ids]
        return JSONResponse({"authors": authors, "total": len(AUTHORS), "limit": limit, "offset": offset, **who})

    @api.get("/authors/{author_id}", response_model=AuthorOut, responses=error_responses(404, 422))
    async def get_author(author_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> JSONResponse:
        if author_id not in AUTHORS:
            raise HTTPException(404, f"author {author_id} not found")
        log.info("author served", extra={"author_id": author_id})
        return JSONResponse({"id": author_id, **AUTHORS[author_id], **who})

    app.include_router(api)
    return app
