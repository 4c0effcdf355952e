"""Settings from the environment only (Deployment env, ConfigMap and Secret)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import labkit
from labkit.pg import PgSettings

from . import __version__
from .migrations import LATEST_RELEASE

DEFAULT_MESSAGE = "Hello from the k3s production lab."


@dataclass(frozen=True)
class Settings:
    database: PgSettings
    app_message: str
    identity: labkit.Identity
    admin_token: str = field(repr=False)
    # Which release this image is (baked in at build time): 2 adds full-text search.
    app_release: int = 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            # The quote contract makes POSTGRES_PORT required: no default port.
            database=PgSettings.from_env(env, default_port=None),
            app_message=env.optional("APP_MESSAGE", DEFAULT_MESSAGE),
            identity=labkit.Identity.from_env(env, "quote", __version__),
            admin_token=env.optional("ADMIN_TOKEN"),
            app_release=env.integer("APP_RELEASE", default=1, minimum=1, maximum=LATEST_RELEASE),
        )
        env.check()
        return settings
