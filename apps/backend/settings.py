"""Settings from the environment only (Deployment env, ConfigMap and Secret)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit import AppSettings, Env
from labkit.pg import PgSettings

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings):
    SERVICE = "backend"
    VERSION = __version__

    database: PgSettings
    admin_token: str = field(repr=False)

    @classmethod
    def _read(cls, env: Env) -> dict:
        return {"database": PgSettings.from_env(env), "admin_token": env.optional("ADMIN_TOKEN")}
