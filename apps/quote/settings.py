"""Settings from the environment only (Deployment env, ConfigMap and Secret)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from psycopg.conninfo import make_conninfo

import labkit

from . import __version__
from .migrations import LATEST_RELEASE

DEFAULT_MESSAGE = "Hello from the k3s production lab."


@dataclass(frozen=True)
class Settings:
    postgres_host: str
    postgres_port: int
    postgres_db: str
    postgres_user: str
    postgres_password: str = field(repr=False)
    app_message: str
    app_version: str
    pod_name: str
    admin_token: str = field(repr=False)
    pool_max_size: int
    # Which release this image is (baked in at build time): 2 adds full-text search.
    app_release: int = 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            postgres_host=env.required("POSTGRES_HOST"),
            postgres_port=env.integer("POSTGRES_PORT", minimum=1),
            postgres_db=env.required("POSTGRES_DB"),
            postgres_user=env.required("POSTGRES_USER"),
            postgres_password=env.required("POSTGRES_PASSWORD"),
            app_message=env.optional("APP_MESSAGE", DEFAULT_MESSAGE),
            app_version=env.optional("APP_VERSION", __version__),
            pod_name=labkit.pod_name(environ),
            admin_token=env.optional("ADMIN_TOKEN"),
            pool_max_size=env.integer("POSTGRES_POOL_MAX_SIZE", default=10, minimum=1, maximum=100),
            app_release=env.integer("APP_RELEASE", default=1, minimum=1, maximum=LATEST_RELEASE),
        )
        env.check()
        return settings

    def conninfo(self) -> str:
        return make_conninfo(
            host=self.postgres_host,
            port=self.postgres_port,
            dbname=self.postgres_db,
            user=self.postgres_user,
            password=self.postgres_password,
            application_name=f"quote/{self.pod_name}"[:63],
            connect_timeout=3,
            # A stuck query must not hold a pooled connection (and a request) forever.
            options="-c statement_timeout=5000",
        )
