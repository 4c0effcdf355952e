"""Settings from the environment only: API_KEYS and AUTHORS_API_KEY come from Secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import labkit
from labkit.auth import api_keys_from_env
from labkit.client import UpstreamSettings
from labkit.tracing import exporter_from_env

from . import __version__


@dataclass(frozen=True)
class Settings:
    api_keys: frozenset[str] = field(repr=False)
    authors: UpstreamSettings
    trace_exporter: str
    app_version: str
    pod_name: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            api_keys=api_keys_from_env(env),
            authors=UpstreamSettings.from_env(env, "AUTHORS", "authors"),
            trace_exporter=exporter_from_env(env),
            app_version=env.optional("APP_VERSION", __version__),
            pod_name=labkit.pod_name(environ),
        )
        env.check()
        return settings
