"""Settings from the environment only: API_KEYS comes from a Secret."""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit import AppSettings, Env
from labkit.auth import api_keys_from_env
from labkit.tracing import exporter_from_env

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings):
    SERVICE = "authors"
    VERSION = __version__

    api_keys: frozenset[str] = field(repr=False)
    trace_exporter: str

    @classmethod
    def _read(cls, env: Env) -> dict:
        return {"api_keys": api_keys_from_env(env), "trace_exporter": exporter_from_env(env)}
