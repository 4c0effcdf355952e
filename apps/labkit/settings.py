"""The base of every app's settings, read from the environment only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from .config import Env
from .identity import Identity


@dataclass(frozen=True)
class AppSettings:
    """Subclass it as a frozen dataclass, set SERVICE and VERSION, and return the
    subclass's own fields from `_read(env)`. `from_env` adds the identity (APP_VERSION,
    POD_NAME) and raises one ConfigError naming every missing or invalid variable."""

    identity: Identity
    SERVICE: ClassVar[str]
    VERSION: ClassVar[str]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = Env(environ)
        settings = cls(identity=Identity.from_env(env, cls.SERVICE, cls.VERSION), **cls._read(env))
        env.check()
        return settings

    @classmethod
    def _read(cls, env: Env) -> dict[str, Any]:
        raise NotImplementedError
