"""The backend: a REST API over the item catalogue, plus probes and metrics."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

import labkit
from labkit.pg import PgDatabase

from . import api
from .settings import Settings
from .store import ItemStore

log = logging.getLogger("backend")

MAX_BODY_BYTES = 16 * 1024


def create_app(settings: Settings) -> FastAPI:
    identity = settings.identity
    store = ItemStore(PgDatabase(settings.database, f"backend/{identity.pod}"))

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        async with store.db.serving(store.migrate, health):
            log.info("backend starting", extra={"version": identity.version})
            yield

    app = FastAPI(title="backend", version=identity.version, lifespan=lifespan, redoc_url=None)
    health = labkit.setup(
        app, identity, readiness_check=store.db.ping, admin_token=settings.admin_token, max_body_bytes=MAX_BODY_BYTES
    )
    app.state.catalogue = api.Catalogue(store, health)
    app.include_router(api.router)
    return app
