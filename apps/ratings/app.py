"""The ratings service: 1-5 star ratings per author, kept in memory.

In memory on purpose: the exercise is about calls between services, and one replica
is enough to show them (a second replica would hold its own ratings).
A rating is accepted only for an author the authors service knows.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

import labkit
from labkit.auth import include_protected
from labkit.client import ServiceClient
from labkit.tracing import setup_tracing

from . import api
from .settings import Settings


def create_app(settings: Settings) -> FastAPI:
    store = api.Store(ServiceClient.from_settings(settings.authors))

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        health.started = True
        yield
        await store.authors.close()
        tracer_provider.shutdown()

    app = FastAPI(title="ratings", version=settings.identity.version, lifespan=lifespan, redoc_url=None)
    app.state.store = store
    health = labkit.setup(app, settings.identity, max_body_bytes=4096)
    tracer_provider = setup_tracing(app, "ratings", settings.identity.version, settings.trace_exporter)
    include_protected(app, api.router, settings.api_keys)
    return app
