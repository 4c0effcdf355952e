"""Settings from the environment only (Deployment env and ConfigMap)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import labkit
from labkit.client import UpstreamSettings

from . import __version__


@dataclass(frozen=True)
class Settings:
    backend: UpstreamSettings
    app_title: str
    identity: labkit.Identity
    admin_token: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            # One retry: a page view should not wait for more.
            backend=UpstreamSettings.from_env(env, "BACKEND", "backend", needs_api_key=False, retries=1),
            app_title=env.optional("APP_TITLE", "Lab hardware catalogue"),
            identity=labkit.Identity.from_env(env, "frontend", __version__),
            admin_token=env.optional("ADMIN_TOKEN"),
        )
        env.check()
        return settings
