"""The base of every app's settings, read from the environment only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self

from .config import Env
from .identity import Identity


def setting(read: Callable[[Env], Any], *, secret: bool = False) -> Any:
    """A settings field whose value is `read(env)`; a secret one stays out of repr."""
    return field(metadata={"read": read}, repr=not secret)


def admin_token_from_env(env: Env) -> str:
    """ADMIN_TOKEN, the bearer token of the fault endpoints; unset turns them off."""
    return env.optional("ADMIN_TOKEN")


@dataclass(frozen=True)
class AppSettings:
    """Subclass it as a frozen dataclass named by its class keywords `service` and
    `version`, whose fields are all `setting(read)`. `from_env` reads each field, adds the
    identity (APP_VERSION, POD_NAME) and raises one ConfigError naming every missing or
    invalid variable."""

    identity: Identity
    SERVICE: ClassVar[str]
    VERSION: ClassVar[str]

    def __init_subclass__(cls, *, service: str, version: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.SERVICE, cls.VERSION = service, version

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = Env(environ)
        values = {f.name: f.metadata["read"](env) for f in fields(cls) if "read" in f.metadata}
        settings = cls(identity=Identity.from_env(env, cls.SERVICE, cls.VERSION), **values)
        env.check()
        return settings
