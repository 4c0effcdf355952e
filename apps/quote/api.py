"""The quote app's page and JSON API; create_app keeps its QuoteBook on app.state."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict

from labkit import Health, Who, from_app_state
from labkit.openapi import HTML, LOCATION, Id, Limit, Offset, Served, error_responses
from labkit.pg import NO_NUL_PATTERN, UNAVAILABLE, from_database, no_nul, text_input

from .db import QuoteStore
from .migrations import AUTHOR_MAX, TEXT_MAX
from .page import render_page

log = logging.getLogger("quote")

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


@dataclass(frozen=True)
class QuoteBook:
    store: QuoteStore
    health: Health
    message: str  # APP_MESSAGE, shown on the page
    release: int  # APP_RELEASE: 2 adds search and the page's badge

    async def call(self, operation, *args):
        return await from_database(self.health, operation, *args)


Book = Annotated[QuoteBook, from_app_state("book")]
router = APIRouter()

# Handlers return JSONResponse directly: the dicts are already JSON-ready, and
# skipping FastAPI's response encoding matters on the hot path.


@router.get(
    "/",
    response_class=HTMLResponse,
    responses={503: {"description": "The page, saying the database is unavailable", "content": HTML}},
)
async def index(book: Book, who: Who) -> HTMLResponse:
    try:
        quote = await book.call(book.store.random)
        status, problem = 200, ""
    except HTTPException as exc:
        quote, status, problem = None, exc.status_code, exc.detail
    html = render_page(book.message, who["pod"], who["version"], quote, problem, book.release)
    return HTMLResponse(html, status_code=status)


@router.get("/api/quotes", response_model=QuotePage, responses={**error_responses(422), **UNAVAILABLE})
async def list_quotes(
    book: Book,
    who: Who,
    limit: Limit = 20,
    offset: Offset = 0,
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
    if search is not None and book.release >= 2:
        quotes = await book.call(book.store.search, search, limit, offset)
        return JSONResponse({"quotes": quotes, "search": search, "limit": limit, "offset": offset, **who})
    quotes = await book.call(book.store.page, limit, offset)
    return JSONResponse({"quotes": quotes, "limit": limit, "offset": offset, **who})


@router.get("/api/quotes/random", response_model=QuoteOut, responses={**error_responses(404), **UNAVAILABLE})
async def random_quote(book: Book, who: Who) -> JSONResponse:
    quote = await book.call(book.store.random)
    if quote is None:
        raise HTTPException(404, "there are no quotes yet")
    return JSONResponse({**quote, **who})


@router.get("/api/quotes/{quote_id}", response_model=QuoteOut, responses={**error_responses(404, 422), **UNAVAILABLE})
async def get_quote(quote_id: Id, book: Book, who: Who) -> JSONResponse:
    quote = await book.call(book.store.get, quote_id)
    if quote is None:
        raise HTTPException(404, f"quote {quote_id} not found")
    return JSONResponse({**quote, **who})


@router.post(
    "/api/quotes",
    status_code=201,
    response_model=QuoteOut,
    responses={201: {"headers": LOCATION}, **error_responses(400, 413, 422), **UNAVAILABLE},
)
async def create_quote(body: QuoteIn, book: Book, who: Who) -> JSONResponse:
    quote = await book.call(book.store.create, body.author, body.text)
    log.info("quote created", extra={"quote_id": quote["id"]})
    return JSONResponse({**quote, **who}, status_code=201, headers={"Location": f"/api/quotes/{quote['id']}"})
