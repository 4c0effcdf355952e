"""Kubernetes probe endpoints plus token-protected fault injection for probe exercises.

/healthz  liveness: the process answers. Never touches a dependency, so an outage
          of the database does not make the kubelet restart every replica.
/readyz   readiness: the app's own check (e.g. a database round-trip) within a timeout.
/startupz start-up: the app finished its start-up work (e.g. schema migrations).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer

from .identity import Identity
from .openapi import Served, error_responses

log = logging.getLogger("labkit.health")

ReadinessCheck = Callable[[], Awaitable[None]]
Probe = Literal["liveness", "readiness"]


class FaultState(Served):
    faults: dict[Probe, bool]


# Declares the scheme in the OpenAPI document; require_token decides and answers itself.
_BEARER = HTTPBearer(auto_error=False, description="The app's ADMIN_TOKEN")


class Health:
    """Probe state. The app sets `started` when its start-up work is done."""

    def __init__(self) -> None:
        self.started = False
        self.faults = {"liveness": False, "readiness": False}


def install_health(
    app: FastAPI,
    identity: Identity,
    health: Health,
    readiness_check: ReadinessCheck | None = None,
    readiness_timeout: float = 1.0,
) -> None:
    router = APIRouter(include_in_schema=False)

    def probe(ok: bool, status: str, **extra: str) -> JSONResponse:
        body = {"status": status, **extra, **identity.fields()}
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        if health.faults["liveness"]:
            return probe(False, "failing", reason="liveness fault injected")
        return probe(True, "alive")

    @router.get("/startupz")
    async def startupz() -> JSONResponse:
        return probe(health.started, "started" if health.started else "starting")

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        if not health.started:
            return probe(False, "not_ready", reason="start-up not finished")
        if health.faults["readiness"]:
            return probe(False, "not_ready", reason="readiness fault injected")
        if readiness_check is not None:
            try:
                await asyncio.wait_for(readiness_check(), readiness_timeout)
            except Exception as exc:  # any failure of the dependency means "not ready"
                reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:200]
                log.warning("readiness check failed", extra={"reason": reason})
                return probe(False, "not_ready", reason=reason)
        return probe(True, "ready")

    app.include_router(router)


def install_fault_admin(app: FastAPI, identity: Identity, health: Health, token: str) -> None:
    """POST/DELETE /admin/faults/{liveness|readiness}. Call only when a token is configured:
    without one the routes do not exist and answer 404."""
    expected = f"Bearer {token}".encode()

    def require_token(request: Request) -> None:
        supplied = request.headers.get("authorization")
        if not supplied:
            raise HTTPException(401, "bearer token required", headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(supplied.encode(), expected):
            raise HTTPException(403, "invalid bearer token")

    responses = error_responses(401, 403)
    responses[401]["headers"] = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}
    router = APIRouter(
        prefix="/admin/faults",
        tags=["admin"],
        dependencies=[Security(_BEARER), Depends(require_token)],
        responses=responses,
    )

    def state() -> dict:
        return {"faults": dict(health.faults), **identity.fields()}

    @router.get("", response_model=FaultState)
    async def show() -> dict:
        return state()

    @router.post("/{probe}", response_model=FaultState, responses=error_responses(422))
    async def inject(probe: Probe) -> dict:
        health.faults[probe] = True
        log.warning("fault injected", extra={"probe": probe})
        return state()

    @router.delete("/{probe}", response_model=FaultState, responses=error_responses(422))
    async def clear(probe: Probe) -> dict:
        health.faults[probe] = False
        log.warning("fault cleared", extra={"probe": probe})
        return state()

    app.include_router(router)
