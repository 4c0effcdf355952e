"""The frontend: server-rendered pages from the backend's REST API.

When the backend cannot answer, pages say so with HTTP 503 (the process never
fails because of it) and /readyz turns 503 so the Service stops routing here.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

import labkit
from labkit.client import ServiceClient

from . import api
from .pages import Pages
from .settings import Settings

log = logging.getLogger("frontend")


def create_app(settings: Settings) -> FastAPI:
    identity = settings.identity
    backend = ServiceClient.from_settings(settings.backend)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        health.started = True
        log.info("frontend starting", extra={"backend_url": settings.backend.url})
        yield
        await backend.close()

    app = FastAPI(title="frontend", version=identity.version, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.site = api.Site(Pages(settings.app_title, identity.pod, identity.version), backend)
    # Ready only while the backend answers its liveness probe: a frontend that can
    # only show error pages should not receive traffic if another replica can do better.
    health = labkit.setup(
        app,
        identity,
        readiness_check=lambda: backend.probe("/healthz"),
        admin_token=settings.admin_token,
        readiness_timeout=settings.backend.timeout,
    )
    app.include_router(api.router)
    return app
