"""The analytics API: statistics over a generated dataset whose size the caller picks.

This is the app students push past its memory limit to watch the kernel OOM-kill it.
Sizes above the configured caps are refused with 422 before any memory is used.
One computation runs at a time (others get 429): the memory a request needs then
depends on its size alone, which makes the OOM threshold predictable.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

import labkit

from . import api
from .settings import Settings

log = logging.getLogger("analytics")


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        health.started = True
        log.info("analytics starting", extra={"max_rows": settings.max_rows, "max_cells": settings.max_cells})
        yield

    app = FastAPI(title="analytics", version=settings.identity.version, lifespan=lifespan, redoc_url=None)
    health = labkit.setup(app, settings.identity, admin_token=settings.admin_token)
    app.state.limits = limits = api.Limits(settings)
    app.include_router(api.router)
    limits.document(app)
    return app
