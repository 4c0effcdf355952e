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
    app_version: str
    pod_name: str
    admin_token: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            # One retry: a page view should not wait for more.
            backend=UpstreamSettings.from_env(env, "BACKEND", "backend", needs_api_key=False, retries=1),
            app_title=env.optional("APP_TITLE", "Lab hardware catalogue"),
            app_version=env.optional("APP_VERSION", __version__),
            pod_name=labkit.pod_name(environ),
            admin_token=env.optional("ADMIN_TOKEN"),
        )
        env.check()
        return settings
