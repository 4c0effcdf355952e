"""Settings from the environment only (Deployment env, ConfigMap and Secret)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import labkit
from labkit.pg import PgSettings

from . import __version__


@dataclass(frozen=True)
class Settings:
    database: PgSettings
    identity: labkit.Identity
    admin_token: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            database=PgSettings.from_env(env),
            identity=labkit.Identity.from_env(env, "backend", __version__),
            admin_token=env.optional("ADMIN_TOKEN"),
        )
        env.check()
        return settings
