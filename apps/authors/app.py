"""The authors service. Every /api route needs a valid X-API-Key; probes and /metrics do not."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

import labkit
from labkit.auth import include_protected
from labkit.tracing import setup_tracing

from . import api
from .settings import Settings


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        health.started = True
        yield
        tracer_provider.shutdown()

    app = FastAPI(title="authors", version=settings.identity.version, lifespan=lifespan, redoc_url=None)
    health = labkit.setup(app, settings.identity)
    tracer_provider = setup_tracing(app, "authors", settings.identity.version, settings.trace_exporter)
    include_protected(app, api.router, settings.api_keys)
    return app
