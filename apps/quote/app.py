"""The quote app: HTML page, JSON API, probes and metrics."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict

import labkit
from labkit.openapi import HTML, LOCATION, Served, error_responses
from labkit.pg import BIGINT_MAX, NO_NUL_PATTERN, DatabaseUnavailable, PgDatabase, no_nul, text_input

from .db import QuoteStore
from .migrations import AUTHOR_MAX, TEXT_MAX
from .page import render_page
from .settings import Settings

log = logging.getLogger("quote")

MAX_BODY_BYTES = 16 * 1024
MAX_PAGE = 100
MAX_OFFSET = 1_000_000
SEARCH_MAX = 200
Author = text_input(AUTHOR_MAX)
Text = text_input(TEXT_MAX)


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author: Author
    text: Text


class Quote(BaseModel):
    id: int
    author: str
    text: str
    created_at: str


class QuoteOut(Quote, Served):
    pass


class QuotePage(Served):
    quotes: list[Quote]
    search: str | None = None  # release 2, when searching
    limit: int
    offset: int


# Every data endpoint answers 503 (with Retry-After) until the schema is ready and
# while the database is unreachable.
UNAVAILABLE = error_responses(503, retry_after=(503,))


def create_app(settings: Settings) -> FastAPI:
    identity = settings.identity
    store = QuoteStore(PgDatabase(settings.database, f"quote/{settings.identity.pod}"), settings.app_release)
    who = identity.fields()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        async with store.db.serving(store.migrate, health):
            log.info("quote app starting", extra={"pod": identity.pod, "version": identity.version})
            yield

    app = FastAPI(
        title="quote",
        version=settings.identity.version,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    health = labkit.setup(
        app,
        identity,
        readiness_check=store.db.ping,
        admin_token=settings.admin_token,
        max_body_bytes=MAX_BODY_BYTES,
    )

    def ensure_started() -> None:
        if not health.started:
            raise HTTPException(503, "starting: database schema not ready yet", headers={"Retry-After": "2"})

    async def with_store(operation, *args):
        ensure_started()
        try:
            return await operation(*args)
        except DatabaseUnavailable as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "2"}) from exc

    # Handlers return JSONResponse directly: the dicts are already JSON-ready, and
    # skipping FastAPI's response encoding matters on the hot path.

    @app.get(
        "/",
        response_class=HTMLResponse,
        responses={503: {"description": "The page, saying the database is unavailable", "content": HTML}},
    )
    async def index() -> HTMLResponse:
        try:
            quote = await with_store(store.random)
            status, problem = 200, ""
        except HTTPException as exc:
            quote, status, problem = None, exc.status_code, exc.detail
        html = render_page(settings.app_message, identity.pod, identity.version, quote, problem, settings.app_release)
        return HTMLResponse(html, status_code=status)

    @app.get("/api/quotes", response_model=QuotePage, responses={**error_responses(422), **UNAVAILABLE})
    async def list_quotes(
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        search: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=SEARCH_MAX,
                description="release 2: full-text search; no NUL characters",
                json_schema_extra={"pattern": NO_NUL_PATTERN},
            ),
            AfterValidator(no_nul),
        ] = None,
    ) -> JSONResponse:
        if search is not None and settings.app_release >= 2:
            quotes = await with_store(store.search, search, limit, offset)
            return JSONResponse({"quotes": quotes, "search": search, "limit": limit, "offset": offset, **who})
        quotes = await with_store(store.page, limit, offset)
        return JSONResponse({"quotes": quotes, "limit": limit, "offset": offset, **who})

    @app.get("/api/quotes/random", response_model=QuoteOut, responses={**error_responses(404), **UNAVAILABLE})
    async def random_quote() -> JSONResponse:
        quote = await with_store(store.random)
        if quote is None:
            raise HTTPException(404, "there are no quotes yet")
        return JSONResponse({**quote, **who})

    @app.get("/api/quotes/{quote_id}", response_model=QuoteOut, responses={**error_responses(404, 422), **UNAVAILABLE})
    async def get_quote(quote_id: Annotated[int, Path(ge=1, le=BIGINT_MAX)]) -> JSONResponse:
        quote = await with_store(store.get, quote_id)
        if quote is None:
            raise HTTPException(404, f"quote {quote_id} not found")
        return JSONResponse({**quote, **who})

    @app.post(
        "/api/quotes",
        status_code=201,
        response_model=QuoteOut,
        responses={201: {"headers": LOCATION}, **error_responses(400, 413, 422), **UNAVAILABLE},
    )
    async def create_quote(body: QuoteIn) -> JSONResponse:
        quote = await with_store(store.create, body.author, body.text)
        log.info("quote created", extra={"quote_id": quote["id"]})
        return JSONResponse(
            {**quote, **who}, status_code=201, headers={"Location": f"/api/quotes/{quote['id']}"}
        )

    return app
