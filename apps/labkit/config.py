"""Configuration from environment variables, failing with one readable line.

Students break a Deployment on purpose by removing a variable; the pod must then
crash with a log line that names exactly what is missing, not a traceback.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")

EXIT_CONFIG_ERROR = 78  # EX_CONFIG from sysexits.h


class ConfigError(Exception):
    """A configuration problem; its message is the single line shown to the operator."""


class Env:
    """Reads variables from a mapping (os.environ by default) and collects every problem.

    Collecting instead of raising on the first problem lets one line name all missing
    variables, so a student fixes the manifest once rather than once per variable.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._missing: list[str] = []
        self._invalid: list[str] = []

    def required(self, name: str) -> str:
        value = self._environ.get(name, "").strip()
        if not value:
            self._missing.append(name)
        return value

    def pod_name(self) -> str:
        return pod_name(self._environ)

    def optional(self, name: str, default: str = "") -> str:
        value = self._environ.get(name, "").strip()
        return value or default

    def integer(self, name: str, default: int | None = None, minimum: int = 0, maximum: int = 65535) -> int:
        """An integer in [minimum, maximum]; required when there is no default."""
        raw = self._environ.get(name, "").strip()
        if not raw:
            if default is None:
                self._missing.append(name)
                return 0
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not minimum <= value <= maximum:
            self._invalid.append(f"{name}={raw!r} (expected an integer from {minimum} to {maximum})")
            return 0 if default is None else default
        return value

    def invalid(self, description: str) -> None:
        """Record a problem found by a caller's own parsing; `check()` reports it with the rest."""
        self._invalid.append(description)

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        """One of `choices` (case-insensitive), or `default` when unset."""
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        if raw.lower() not in choices:
            self._invalid.append(f"{name}={raw!r} (expected one of: {', '.join(choices)})")
            return default
        return raw.lower()

    def check(self) -> None:
        """Raise ConfigError naming every missing or invalid variable seen so far."""
        problems = []
        if self._missing:
            plural = "s" if len(self._missing) > 1 else ""
            problems.append(f"missing required environment variable{plural}: {', '.join(self._missing)}")
        if self._invalid:
            problems.append(f"invalid environment variable: {'; '.join(self._invalid)}")
        if problems:
            raise ConfigError("; ".join(problems))


def pod_name(environ: Mapping[str, str] | None = None) -> str:
    """POD_NAME (set from the downward API in Kubernetes), else the hostname."""
    environ = os.environ if environ is None else environ
    return environ.get("POD_NAME", "").strip() or socket.gethostname()


def load_or_exit(loader: Callable[[], T], service: str) -> T:
    """Run a settings loader; on ConfigError print one line to stderr and exit non-zero."""
    try:
        return loader()
    except ConfigError as exc:
        print(f"{service}: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_CONFIG_ERROR) from None
