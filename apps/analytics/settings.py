"""Settings from the environment only (Deployment env and ConfigMap)."""

from __future__ import annotations

from dataclasses import dataclass

from labkit import AppSettings, admin_token_from_env, setting

from . import __version__

MAX_COLUMNS = 32


@dataclass(frozen=True)
class Settings(AppSettings, service="analytics", version=__version__):
    max_rows: int = setting(
        lambda env: env.integer("ANALYTICS_MAX_ROWS", default=4_000_000, minimum=1, maximum=1_000_000_000)
    )
    max_cells: int = setting(
        lambda env: env.integer("ANALYTICS_MAX_CELLS", default=16_000_000, minimum=1, maximum=10_000_000_000)
    )
    admin_token: str = setting(admin_token_from_env, secret=True)
