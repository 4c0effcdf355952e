"""Settings from the environment only: API_KEYS and AUTHORS_API_KEY come from Secrets."""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit import AppSettings, Env
from labkit.auth import api_keys_from_env
from labkit.client import UpstreamSettings
from labkit.tracing import exporter_from_env

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings):
    SERVICE = "ratings"
    VERSION = __version__

    api_keys: frozenset[str] = field(repr=False)
    authors: UpstreamSettings
    trace_exporter: str

    @classmethod
    def _read(cls, env: Env) -> dict:
        return {
            "api_keys": api_keys_from_env(env),
            "authors": UpstreamSettings.from_env(env, "AUTHORS", "authors"),
            "trace_exporter": exporter_from_env(env),
        }
