"""Settings from the environment only (Deployment env and ConfigMap)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit import AppSettings, Env
from labkit.client import UpstreamSettings

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings):
    SERVICE = "frontend"
    VERSION = __version__

    backend: UpstreamSettings
    app_title: str
    admin_token: str = field(repr=False)

    @classmethod
    def _read(cls, env: Env) -> dict:
        return {
            # One retry: a page view should not wait for more.
            "backend": UpstreamSettings.from_env(env, "BACKEND", "backend", needs_api_key=False, retries=1),
            "app_title": env.optional("APP_TITLE", "Lab hardware catalogue"),
            "admin_token": env.optional("ADMIN_TOKEN"),
        }
