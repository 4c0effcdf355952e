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
    identity: labkit.Identity

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            api_keys=api_keys_from_env(env),
            authors=UpstreamSettings.from_env(env, "AUTHORS", "authors"),
            trace_exporter=exporter_from_env(env),
            identity=labkit.Identity.from_env(env, "ratings", __version__),
        )
        env.check()
        return settings
