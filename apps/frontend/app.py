"""The frontend: server-rendered pages from the backend's REST API.

When the backend cannot answer, pages say so with HTTP 503 (the process never
fails because of it) and /readyz turns 503 so the Service stops routing here.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Path, Query
from fastapi.responses import HTMLResponse

import labkit
from labkit.client import ServiceClient, UpstreamError
from labkit.openapi import HTML, RETRY_AFTER, error_responses

from .pages import Pages
from .settings import Settings

log = logging.getLogger("frontend")

PAGE_SIZE = 10
MAX_PAGE_NUMBER = 100_000
MAX_ID = 2**63 - 1
# Bad parameters get labkit's JSON error; every other failure is a page.
PAGE_ERRORS = {
    **error_responses(422),
    502: {"description": "Page: the backend gave an unexpected answer", "content": HTML},
    503: {"description": "Page: the backend is unavailable", "content": HTML, "headers": RETRY_AFTER},
}


def create_app(settings: Settings) -> FastAPI:
    identity = settings.identity
    pages = Pages(settings.app_title, identity.pod, identity.version)
    backend = ServiceClient.from_settings(settings.backend)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        health.started = True
        log.info("frontend starting", extra={"backend_url": settings.backend.url})
        yield
        await backend.close()

    app = FastAPI(title="frontend", version=settings.identity.version, lifespan=lifespan, docs_url=None, redoc_url=None)
    # Ready only while the backend answers its liveness probe: a frontend that can
    # only show error pages should not receive traffic if another replica can do better.
    health = labkit.setup(
        app,
        identity,
        readiness_check=lambda: backend.probe("/healthz"),
        admin_token=settings.admin_token,
        readiness_timeout=settings.backend.timeout,
    )

    def degraded(exc: UpstreamError) -> HTMLResponse:
        log.warning("backend unavailable", extra={"reason": exc.reason, "status": exc.status})
        html = pages.problem(
            "The catalogue is temporarily unavailable",
            "The catalogue service is not answering right now. Please try again in a few seconds.",
            degraded=True,
        )
        return HTMLResponse(html, status_code=503, headers={"Retry-After": "5"})

    async def fetch(path: str, **params) -> tuple[int, dict]:
        response = await backend.request("GET", path, params=params or None)
        try:
            return response.status_code, response.json()
        except ValueError:  # not JSON: something other than our backend answered
            return 502, {}

    @app.get("/", response_class=HTMLResponse, responses=PAGE_ERRORS)
    async def index(page: Annotated[int, Query(ge=1, le=MAX_PAGE_NUMBER)] = 1) -> HTMLResponse:
        try:
            status, data = await fetch("/api/items", limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        except UpstreamError as exc:
            return degraded(exc)
        if status != 200:
            return unexpected(status, data)
        return HTMLResponse(pages.item_list(data, page, PAGE_SIZE))

    @app.get(
        "/items/{item_id}",
        response_class=HTMLResponse,
        responses={404: {"description": "Page: no such item", "content": HTML}, **PAGE_ERRORS},
    )
    async def item(item_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> HTMLResponse:
        try:
            status, data = await fetch(f"/api/items/{item_id}")
        except UpstreamError as exc:
            return degraded(exc)
        if status == 404:
            return HTMLResponse(pages.problem("Not found", f"There is no item {item_id}."), status_code=404)
        if status != 200:
            return unexpected(status, data)
        return HTMLResponse(pages.item_detail(data))

    def unexpected(status: int, data: dict) -> HTMLResponse:
        # A 4xx from the backend for a request we built is our bug or a version skew.
        log.error("unexpected backend answer", extra={"status": status, "error": data.get("error")})
        return HTMLResponse(pages.problem("Something went wrong", "The catalogue gave an unexpected answer."), status_code=502)

    return app
