"""Settings from the environment only: API_KEYS and AUTHORS_API_KEY come from Secrets."""

from __future__ import annotations

from dataclasses import dataclass

from labkit import AppSettings, setting
from labkit.auth import api_keys_from_env
from labkit.client import UpstreamSettings
from labkit.tracing import exporter_from_env

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings, service="ratings", version=__version__):
    api_keys: frozenset[str] = setting(api_keys_from_env, secret=True)
    authors: UpstreamSettings = setting(lambda env: UpstreamSettings.from_env(env, "AUTHORS", "authors"))
    trace_exporter: str = setting(exporter_from_env)
