"""Settings from the environment only: the *_API_KEY values come from Secrets."""

from __future__ import annotations

from dataclasses import dataclass

from labkit import AppSettings, setting
from labkit.client import UpstreamSettings
from labkit.tracing import exporter_from_env

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings, service="gateway", version=__version__):
    authors: UpstreamSettings = setting(lambda env: UpstreamSettings.from_env(env, "AUTHORS", "authors"))
    ratings: UpstreamSettings = setting(lambda env: UpstreamSettings.from_env(env, "RATINGS", "ratings"))
    trace_exporter: str = setting(exporter_from_env)
