"""Settings from the environment only: the *_API_KEY values come from Secrets."""

from __future__ import annotations

from dataclasses import dataclass

from labkit import AppSettings, Env
from labkit.client import UpstreamSettings
from labkit.tracing import exporter_from_env

from . import __version__


@dataclass(frozen=True)
class Settings(AppSettings):
    SERVICE = "gateway"
    VERSION = __version__

    authors: UpstreamSettings
    ratings: UpstreamSettings
    trace_exporter: str

    @classmethod
    def _read(cls, env: Env) -> dict:
        return {
            "authors": UpstreamSettings.from_env(env, "AUTHORS", "authors"),
            "ratings": UpstreamSettings.from_env(env, "RATINGS", "ratings"),
            "trace_exporter": exporter_from_env(env),
        }
