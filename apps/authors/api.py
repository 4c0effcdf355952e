"""The authors API; create_app mounts it behind the API-key check."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from labkit import Who
from labkit.openapi import Id, Limit, Offset, Served, error_responses

from .catalogue import AUTHORS

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


router = APIRouter(prefix="/api")


@router.get("/authors", response_model=AuthorPage, responses=error_responses(422))
async def list_authors(who: Who, limit: Limit = 20, offset: Offset = 0) -> JSONResponse:
    ids = sorted(AUTHORS)[offset : offset + limit]
    authors = [{"id": i, **AUTHORS[i]} for i in ids]
    return JSONResponse({"authors": authors, "total": len(AUTHORS), "limit": limit, "offset": offset, **who})


@router.get("/authors/{author_id}", response_model=AuthorOut, responses=error_responses(404, 422))
async def get_author(who: Who, author_id: Id) -> JSONResponse:
    if author_id not in AUTHORS:
        raise HTTPException(404, f"author {author_id} not found")
    log.info("author served", extra={"author_id": author_id})
    return JSONResponse({"id": author_id, **AUTHORS[author_id], **who})
