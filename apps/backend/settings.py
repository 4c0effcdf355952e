"""Settings from the environment only (Deployment env, ConfigMap and Secret)."""

from __future__ import annotations

from dataclasses import dataclass

from labkit import AppSettings, admin_token_from_env, setting
from labkit.pg import PgSettings

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings, service="backend", version=__version__):
    database: PgSettings = setting(PgSettings.from_env)
    admin_token: str = setting(admin_token_from_env, secret=True)
