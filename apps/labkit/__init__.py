"""labkit: the small shared toolkit every lab app imports.

Typical use (see README.md):

    identity = Identity.from_env(env, "quote", __version__)   # APP_VERSION, POD_NAME
    app = FastAPI(lifespan=lifespan)
    health = labkit.setup(app, identity, readiness_check=db_ping, admin_token=settings.admin_token)
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from . import metrics
from .config import ConfigError, Env, load_or_exit, pod_name
from .errors import error_body, error_response, install_error_handlers
from .health import Health, ReadinessCheck, install_fault_admin, install_health
from .identity import Identity, Who, from_app_state
from .logs import configure_logging, request_id_var
from .middleware import RequestContextMiddleware
from .openapi import install_error_schema
from .settings import AppSettings, admin_token_from_env, setting

__all__ = [
    "AppSettings",
    "ConfigError",
    "Env",
    "Health",
    "Identity",
    "ReadinessCheck",
    "RequestContextMiddleware",
    "configure_logging",
    "error_body",
    "error_response",
    "from_app_state",
    "load_or_exit",
    "pod_name",
    "request_id_var",
    "Who",
    "admin_token_from_env",
    "app_from_env",
    "setting",
    "setup",
]


def app_from_env(settings_class: type[AppSettings], create_app: Callable[[Any], FastAPI]) -> FastAPI:
    """An app's `main.app`. Settings are read at import, before uvicorn logs anything,
    so a missing or bad variable ends the process with exactly one line naming it."""
    settings = load_or_exit(settings_class.from_env, settings_class.SERVICE)
    configure_logging(settings_class.SERVICE)
    return create_app(settings)


def setup(
    app: FastAPI,
    identity: Identity,
    readiness_check: ReadinessCheck | None = None,
    admin_token: str = "",
    max_body_bytes: int = 1_048_576,
    readiness_timeout: float = 1.0,
) -> Health:
    """Install middleware, JSON error handlers, /metrics and the probe endpoints.

    Returns the Health object; set `health.started = True` when start-up work is done.
    """
    _freeze_after_startup(app)
    app.state.identity = identity
    app.add_middleware(RequestContextMiddleware, identity=identity, max_body_bytes=max_body_bytes)
    install_error_handlers(app, identity)
    install_error_schema(app)
    app.add_route("/metrics", metrics.metrics_endpoint, include_in_schema=False)
    metrics.APP_INFO.labels(identity.service, identity.version, identity.pod).set(1)
    health = Health()
    install_health(app, identity, health, readiness_check, readiness_timeout)
    if admin_token:
        install_fault_admin(app, identity, health, admin_token)
    return health


def _freeze_after_startup(app: FastAPI) -> None:
    """Once the app's own lifespan has started, move every object alive then (modules,
    routes, models: about 60,000) out of the garbage collector's reach. A full
    collection otherwise walks them all, stalling every request in flight for about
    25 ms (tests/bench/bench_quote.py measured it as the p99 at peak)."""
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI):
        async with started(app_) as state:
            gc.freeze()
            yield state

    app.router.lifespan_context = lifespan
