"""The gateway: the only service exposed to users. It holds the API keys of the
services behind it, calls them with retries behind a circuit breaker each, and
degrades instead of failing when the ratings service is down (an author page
without its rating); without the authors service there is nothing to show (503).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

import labkit
from labkit.client import ServiceClient
from labkit.tracing import setup_tracing

from . import api
from .settings import Settings


def create_app(settings: Settings) -> FastAPI:
    upstreams = api.Upstreams(ServiceClient.from_settings(settings.authors), ServiceClient.from_settings(settings.ratings))

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        health.started = True
        yield
        await upstreams.authors.close()
        await upstreams.ratings.close()
        tracer_provider.shutdown()

    app = FastAPI(title="gateway", version=settings.identity.version, lifespan=lifespan, redoc_url=None)
    app.state.upstreams = upstreams
    # Readiness does not call the services: the breakers already fail fast per
    # request, and the gateway still answers (degraded) while one is down.
    health = labkit.setup(app, settings.identity, max_body_bytes=4096)
    tracer_provider = setup_tracing(app, "gateway", settings.identity.version, settings.trace_exporter)
    app.include_router(api.router)
    return app
