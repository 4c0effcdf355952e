"""Settings from the environment only: the *_API_KEY values come from Secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import labkit
from labkit.client import UpstreamSettings
from labkit.tracing import exporter_from_env

from . import __version__


@dataclass(frozen=True)
class Settings:
    authors: UpstreamSettings
    ratings: UpstreamSettings
    trace_exporter: str
    app_version: str
    pod_name: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            authors=UpstreamSettings.from_env(env, "AUTHORS", "authors"),
            ratings=UpstreamSettings.from_env(env, "RATINGS", "ratings"),
            trace_exporter=exporter_from_env(env),
            app_version=env.optional("APP_VERSION", __version__),
            pod_name=labkit.pod_name(environ),
        )
        env.check()
        return settings
