"""The analytics API; create_app keeps its Limits (the size caps, one computation at a time) on app.state."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import JSONResponse
from prometheus_client import Gauge
from pydantic import BaseModel, Field

from labkit import Who, error_response, from_app_state
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


# Limits.document fills in this app's cap: the route below is declared without settings.
ROWS = "rows in the generated dataset; rows x columns at most {max_cells}"


@dataclass(frozen=True)
class Limits:
    """The size caps from the settings, and the lock that runs one computation at a time."""

    settings: Settings
    busy: asyncio.Lock = field(default_factory=asyncio.Lock)

    def too_large(self, rows: int, columns: int) -> JSONResponse | None:
        """The 422 for a dataset over the caps, before any memory is used. The handler
        checks them, not FastAPI: the route's parameters know no settings."""
        if rows > self.settings.max_rows:
            message = f"rows must be at most {self.settings.max_rows} (ANALYTICS_MAX_ROWS)"
        elif rows * columns > self.settings.max_cells:
            message = f"rows x columns must be at most {self.settings.max_cells} (ANALYTICS_MAX_CELLS)"
        else:
            return None
        detail = [{"loc": ["query", "rows"], "msg": message, "type": "less_than_equal"}]
        identity = self.settings.identity
        return error_response(identity, 422, "requested dataset is larger than this app allows", detail=detail)

    def document(self, app: FastAPI) -> None:
        """Show the caps on `rows` in the app's OpenAPI document (the fuzz test and
        clients read the maximum there), which the route's declaration cannot."""
        build = app.openapi

        def openapi() -> dict[str, Any]:
            if app.openapi_schema is None:
                parameters = build()["paths"]["/api/stats"]["get"]["parameters"]
                rows = next(parameter for parameter in parameters if parameter["name"] == "rows")
                rows["description"] = rows["schema"]["description"] = ROWS.format(max_cells=self.settings.max_cells)
                rows["schema"]["maximum"] = self.settings.max_rows
            return app.openapi_schema

        app.openapi = openapi


CurrentLimits = Annotated[Limits, from_app_state("limits")]
router = APIRouter(prefix="/api")


@router.get("/stats", response_model=Stats, responses=error_responses(422, 429, retry_after=(429,)))
async def stats(
    limits: CurrentLimits,
    who: Who,
    rows: Annotated[int, Query(ge=1, description=ROWS)] = 100_000,
    columns: Annotated[int, Query(ge=1, le=MAX_COLUMNS)] = 8,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
) -> JSONResponse:
    refusal = limits.too_large(rows, columns)
    if refusal is not None:
        return refusal
    if limits.busy.locked():
        return error_response(
            limits.settings.identity, 429, "another computation is running; retry shortly", headers={"Retry-After": "1"}
        )
    async with limits.busy:
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


@router.get("/memory", response_model=Memory)
async def current_memory(who: Who) -> JSONResponse:
    return JSONResponse({"rss_bytes": memory.rss_bytes(), "peak_rss_bytes": memory.peak_rss_bytes(), **who})
