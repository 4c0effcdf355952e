"""Settings from the environment only (Deployment env, ConfigMap and Secret)."""

from __future__ import annotations

from dataclasses import dataclass

from labkit import AppSettings, admin_token_from_env, setting
from labkit.pg import PgSettings

from . import __version__
from .migrations import LATEST_RELEASE

DEFAULT_MESSAGE = "Hello from the k3s production lab."


@dataclass(frozen=True)
class Settings(AppSettings, service="quote", version=__version__):
    # The quote contract makes POSTGRES_PORT required: no default port.
    database: PgSettings = setting(lambda env: PgSettings.from_env(env, default_port=None))
    app_message: str = setting(lambda env: env.optional("APP_MESSAGE", DEFAULT_MESSAGE))
    admin_token: str = setting(admin_token_from_env, secret=True)
    # Which release this image is (baked in at build time): 2 adds full-text search.
    app_release: int = setting(lambda env: env.integer("APP_RELEASE", default=1, minimum=1, maximum=LATEST_RELEASE))
