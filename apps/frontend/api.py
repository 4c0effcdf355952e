"""The frontend's pages; create_app keeps the Site (pages and backend client) on app.state."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from labkit import from_app_state
from labkit.client import ServiceClient, UpstreamError
from labkit.openapi import HTML, RETRY_AFTER, Id, error_responses

from .pages import Pages

log = logging.getLogger("frontend")

PAGE_SIZE = 10
MAX_PAGE_NUMBER = 100_000
# Bad parameters get labkit's JSON error; every other failure is a page.
PAGE_ERRORS = {
    **error_responses(422),
    502: {"description": "Page: the backend gave an unexpected answer", "content": HTML},
    503: {"description": "Page: the backend is unavailable", "content": HTML, "headers": RETRY_AFTER},
}


@dataclass(frozen=True)
class Site:
    pages: Pages
    backend: ServiceClient

    def degraded(self, exc: UpstreamError) -> HTMLResponse:
        log.warning("backend unavailable", extra={"reason": exc.reason, "status": exc.status})
        html = self.pages.problem(
            "The catalogue is temporarily unavailable",
            "The catalogue service is not answering right now. Please try again in a few seconds.",
            degraded=True,
        )
        return HTMLResponse(html, status_code=503, headers={"Retry-After": "5"})

    async def fetch(self, path: str, **params) -> tuple[int, dict]:
        response = await self.backend.request("GET", path, params=params or None)
        try:
            return response.status_code, response.json()
        except ValueError:  # not JSON: something other than our backend answered
            return 502, {}

    def unexpected(self, status: int, data: dict) -> HTMLResponse:
        # A 4xx from the backend for a request we built is our bug or a version skew.
        log.error("unexpected backend answer", extra={"status": status, "error": data.get("error")})
        html = self.pages.problem("Something went wrong", "The catalogue gave an unexpected answer.")
        return HTMLResponse(html, status_code=502)


CurrentSite = Annotated[Site, from_app_state("site")]
router = APIRouter()


@router.get("/", response_class=HTMLResponse, responses=PAGE_ERRORS)
async def index(site: CurrentSite, page: Annotated[int, Query(ge=1, le=MAX_PAGE_NUMBER)] = 1) -> HTMLResponse:
    try:
        status, data = await site.fetch("/api/items", limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    except UpstreamError as exc:
        return site.degraded(exc)
    if status != 200:
        return site.unexpected(status, data)
    return HTMLResponse(site.pages.item_list(data, page, PAGE_SIZE))


@router.get(
    "/items/{item_id}",
    response_class=HTMLResponse,
    responses={404: {"description": "Page: no such item", "content": HTML}, **PAGE_ERRORS},
)
async def item(site: CurrentSite, item_id: Id) -> HTMLResponse:
    try:
        status, data = await site.fetch(f"/api/items/{item_id}")
    except UpstreamError as exc:
        return site.degraded(exc)
    if status == 404:
        return HTMLResponse(site.pages.problem("Not found", f"There is no item {item_id}."), status_code=404)
    if status != 200:
        return site.unexpected(status, data)
    return HTMLResponse(site.pages.item_detail(data))
