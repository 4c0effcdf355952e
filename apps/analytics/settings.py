"""Settings from the environment only (Deployment env and ConfigMap)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit import AppSettings, Env

from . import __version__

MAX_COLUMNS = 32


@dataclass(frozen=True)
class Settings(AppSettings):
    SERVICE = "analytics"
    VERSION = __version__

    max_rows: int
    max_cells: int
    admin_token: str = field(repr=False)

    @classmethod
    def _read(cls, env: Env) -> dict:
        return {
            "max_rows": env.integer("ANALYTICS_MAX_ROWS", default=4_000_000, minimum=1, maximum=1_000_000_000),
            "max_cells": env.integer("ANALYTICS_MAX_CELLS", default=16_000_000, minimum=1, maximum=10_000_000_000),
            "admin_token": env.optional("ADMIN_TOKEN"),
        }
