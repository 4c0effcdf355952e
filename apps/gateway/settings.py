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
    identity: labkit.Identity

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = labkit.Env(environ)
        settings = cls(
            authors=UpstreamSettings.from_env(env, "AUTHORS", "authors"),
            ratings=UpstreamSettings.from_env(env, "RATINGS", "ratings"),
            trace_exporter=exporter_from_env(env),
            identity=labkit.Identity.from_env(env, "gateway", __version__),
        )
        env.check()
        return settings
