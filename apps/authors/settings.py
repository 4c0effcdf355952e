"""Settings from the environment only: API_KEYS comes from a Secret."""

from __future__ import annotations

from dataclasses import dataclass

from labkit import AppSettings, setting
from labkit.auth import api_keys_from_env
from labkit.tracing import exporter_from_env

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings, service="authors", version=__version__):
    api_keys: frozenset[str] = setting(api_keys_from_env, secret=True)
    trace_exporter: str = setting(exporter_from_env)
