"""Settings from the environment only (Deployment env and ConfigMap)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import labkit

from . import __version__


@dataclass(frozen=True)
class Settings:
    backend_url: str
    backend_timeout: float
    breaker_threshold: int
    breaker_cooldown: float
    app_title: str
    app_version: str
    pod_name: str
    admin_token: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        backend_url = env.required("BACKEND_URL")
        if backend_url and (urlsplit(backend_url).scheme not in ("http", "https") or not urlsplit(backend_url).netloc):
            env.invalid(f"BACKEND_URL={backend_url!r} (expected http://host:port, e.g. http://backend:8000)")
        settings = cls(
            backend_url=backend_url,
            backend_timeout=env.integer("BACKEND_TIMEOUT_MS", default=2000, minimum=50, maximum=60_000) / 1000,
            breaker_threshold=env.integer("BACKEND_BREAKER_THRESHOLD", default=5, minimum=1, maximum=1000),
            breaker_cooldown=env.integer("BACKEND_BREAKER_COOLDOWN_MS", default=5000, minimum=100, maximum=600_000) / 1000,
            app_title=env.optional("APP_TITLE", "Lab hardware catalogue"),
            app_version=env.optional("APP_VERSION", __version__),
            pod_name=labkit.pod_name(environ),
            admin_token=env.optional("ADMIN_TOKEN"),
        )
        env.check()
        return settings
