"""The quote app: HTML page, JSON API, probes and metrics."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

import labkit
from labkit.pg import PgDatabase

from . import api
from .db import QuoteStore
from .settings import Settings

log = logging.getLogger("quote")

MAX_BODY_BYTES = 16 * 1024


def create_app(settings: Settings) -> FastAPI:
    identity = settings.identity
    store = QuoteStore(PgDatabase(settings.database, f"quote/{identity.pod}"), settings.app_release)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        async with store.db.serving(store.migrate, health):
            log.info("quote app starting", extra={"pod": identity.pod, "version": identity.version})
            yield

    app = FastAPI(title="quote", version=identity.version, lifespan=lifespan, redoc_url=None)
    health = labkit.setup(
        app, identity, readiness_check=store.db.ping, admin_token=settings.admin_token, max_body_bytes=MAX_BODY_BYTES
    )
    app.state.book = api.QuoteBook(store, health, settings.app_message, settings.app_release)
    app.include_router(api.router)
    return app
