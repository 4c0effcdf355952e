"""Settings from the environment only (Deployment env, ConfigMap and Secret)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit import AppSettings, Env
from labkit.pg import PgSettings

from . import __version__
from .migrations import LATEST_RELEASE

DEFAULT_MESSAGE = "Hello from the k3s production lab."


@dataclass(frozen=True)
class Settings(AppSettings):
    SERVICE = "quote"
    VERSION = __version__

    database: PgSettings
    app_message: str
    admin_token: str = field(repr=False)
    # Which release this image is (baked in at build time): 2 adds full-text search.
    app_release: int = 1

    @classmethod
    def _read(cls, env: Env) -> dict:
        return {
            # The quote contract makes POSTGRES_PORT required: no default port.
            "database": PgSettings.from_env(env, default_port=None),
            "app_message": env.optional("APP_MESSAGE", DEFAULT_MESSAGE),
            "admin_token": env.optional("ADMIN_TOKEN"),
            "app_release": env.integer("APP_RELEASE", default=1, minimum=1, maximum=LATEST_RELEASE),
        }
