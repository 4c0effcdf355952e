"""Settings from the environment only (Deployment env and ConfigMap)."""

from __future__ import annotations

from dataclasses import dataclass

from labkit import AppSettings, admin_token_from_env, setting
from labkit.client import UpstreamSettings

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings, service="frontend", version=__version__):
    # One retry: a page view should not wait for more.
    backend: UpstreamSettings = setting(
        lambda env: UpstreamSettings.from_env(env, "BACKEND", "backend", needs_api_key=False, retries=1)
    )
    app_title: str = setting(lambda env: env.optional("APP_TITLE", "Lab hardware catalogue"))
    admin_token: str = setting(admin_token_from_env, secret=True)
