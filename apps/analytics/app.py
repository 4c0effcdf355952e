"""The analytics API: statistics over a generated dataset whose size the caller picks.

This is the app students push past its memory limit to watch the kernel OOM-kill it.
Sizes above the configured caps are refused with 422 before any memory is used.
One computation runs at a time (others get 429): the memory a request needs then
depends on its size alone, which makes the OOM threshold predictable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse
from prometheus_client import Gauge
from pydantic import BaseModel, Field

import labkit
from labkit.openapi import Served, error_responses

from . import memory
from .compute import describe
from .settings import MAX_COLUMNS, Settings

log = logging.getLogger("analytics")

RSS = Gauge("analytics_rss_bytes", "Resident set size of this process now.")
RSS.set_function(memory.rss_bytes)
PEAK_RSS = Gauge("analytics_peak_rss_bytes", "Peak resident set size since the last reset (the last request's peak).")
PEAK_RSS.set_function(memory.peak_rss_bytes)
LAST_REQUEST_PEAK = Gauge("analytics_last_request_peak_rss_bytes", "Peak RSS measured during the last computation.")


class ColumnStats(BaseModel):
    # null where undefined (std of one row)
    mean: float | None
    std: float | None
    min: float | None
    p25: float | None = Field(alias="25%")
    p50: float | None = Field(alias="50%")
    p75: float | None = Field(alias="75%")
    max: float | None


class RequestMemory(BaseModel):
    rss_before_bytes: int
    peak_rss_bytes: int
    peak_scope: Literal["request", "process"]  # "process" where the kernel cannot reset the peak
    rss_after_bytes: int


class Stats(Served):
    rows: int
    columns: int
    seed: int
    dataset_bytes: int
    columns_stats: dict[str, ColumnStats]
    max_abs_correlation: float | None  # null for one column
    memory: RequestMemory
    seconds: float


class Memory(Served):
    rss_bytes: int
    peak_rss_bytes: int


def create_app(settings: Settings) -> FastAPI:
    identity = settings.identity
    who = identity.fields()
    busy = asyncio.Lock()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        health.started = True
        log.info("analytics starting", extra={"max_rows": settings.max_rows, "max_cells": settings.max_cells})
        yield

    app = FastAPI(title="analytics", version=settings.identity.version, lifespan=lifespan, redoc_url=None)
    health = labkit.setup(app, identity, admin_token=settings.admin_token)

    def too_large(field: str, message: str) -> JSONResponse:
        detail = [{"loc": ["query", field], "msg": message, "type": "less_than_equal"}]
        return labkit.error_response(identity, 422, "requested dataset is larger than this app allows", detail=detail)

    @app.get("/api/stats", response_model=Stats, responses=error_responses(422, 429, retry_after=(429,)))
    async def stats(
        # A default, not Annotated: the annotations are strings, and these bounds come from
        # the settings. The handler checks the maximum (for its own message); the schema shows it.
        rows: int = Query(
            100_000,
            ge=1,
            json_schema_extra={"maximum": settings.max_rows},
            description=f"rows in the generated dataset; rows x columns at most {settings.max_cells}",
        ),
        columns: Annotated[int, Query(ge=1, le=MAX_COLUMNS)] = 8,
        seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
    ) -> JSONResponse:
        if rows > settings.max_rows:
            return too_large("rows", f"rows must be at most {settings.max_rows} (ANALYTICS_MAX_ROWS)")
        if rows * columns > settings.max_cells:
            return too_large("rows", f"rows x columns must be at most {settings.max_cells} (ANALYTICS_MAX_CELLS)")
        if busy.locked():
            return labkit.error_response(
                identity, 429, "another computation is running; retry shortly", headers={"Retry-After": "1"}
            )
        async with busy:
            rss_before = memory.rss_bytes()
            peak_is_per_request = memory.reset_peak()
            started = time.perf_counter()
            # In a thread: the event loop keeps answering probes during a long computation.
            result = await asyncio.to_thread(describe, rows, columns, seed)
            elapsed = time.perf_counter() - started
            peak = memory.peak_rss_bytes()
        LAST_REQUEST_PEAK.set(peak)
        log.info("computed", extra={"rows": rows, "columns": columns, "peak_rss_bytes": peak, "seconds": round(elapsed, 3)})
        return JSONResponse(
            {
                "rows": rows,
                "columns": columns,
                "seed": seed,
                **result,
                "memory": {
                    "rss_before_bytes": rss_before,
                    "peak_rss_bytes": peak,
                    "peak_scope": "request" if peak_is_per_request else "process",
                    "rss_after_bytes": memory.rss_bytes(),
                },
                "seconds": round(elapsed, 3),
                **who,
            }
        )

    @app.get("/api/memory", response_model=Memory)
    async def current_memory() -> JSONResponse:
        return JSONResponse({"rss_bytes": memory.rss_bytes(), "peak_rss_bytes": memory.peak_rss_bytes(), **who})

    return app
