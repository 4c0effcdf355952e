"""Settings from the environment only (Deployment env and ConfigMap)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import labkit

from . import __version__

MAX_COLUMNS = 32


@dataclass(frozen=True)
class Settings:
    max_rows: int
    max_cells: int
    identity: labkit.Identity
    admin_token: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            max_rows=env.integer("ANALYTICS_MAX_ROWS", default=4_000_000, minimum=1, maximum=1_000_000_000),
            max_cells=env.integer("ANALYTICS_MAX_CELLS", default=16_000_000, minimum=1, maximum=10_000_000_000),
            identity=labkit.Identity.from_env(env, "analytics", __version__),
            admin_token=env.optional("ADMIN_TOKEN"),
        )
        env.check()
        return settings
