"""Outgoing HTTP calls to another service: pooled httpx, timeouts, bounded retries with
backoff, and a circuit breaker (purgatory) in front of every call.

Needs the `micro` extra. One ServiceClient per upstream service, created in the
app's lifespan and closed with it.

- Retries: a GET is retried on a transport error or a 502/503/504 answer; any other
  method only when the connection could not be made (the request never left), so a
  write is never sent twice. Backoff doubles per attempt, with full jitter.
- Breaker: a call that still fails after its retries counts one failure; after
  `breaker_threshold` consecutive failures the breaker opens and calls fail at once
  (UpstreamError 503, no network traffic) for `breaker_cooldown` seconds; then it is
  half-open: the next call goes through, closing it on success, reopening on failure.
  4xx answers are the caller's mistake, not the upstream's: they do not count.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from prometheus_client import Counter, Gauge
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from .auth import API_KEY_HEADER
from .config import Env

log = logging.getLogger("labkit.client")

RETRYABLE_STATUS = frozenset({502, 503, 504})
BREAKER_STATES = {"closed": 0, "half-opened": 1, "opened": 2}

UPSTREAM_RETRIES = Counter("upstream_retries_total", "Retried calls to an upstream service.", ["upstream"])
UPSTREAM_FAILURES = Counter(
    "upstream_failures_total", "Calls to an upstream service that failed after retries.", ["upstream", "reason"]
)
BREAKER_STATE = Gauge(
    "circuit_breaker_state", "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open.", ["upstream"]
)


@dataclass(frozen=True)
class UpstreamSettings:
    """How to call one upstream, from <PREFIX>_URL, _API_KEY, _TIMEOUT_MS, _RETRIES,
    _BREAKER_THRESHOLD and _BREAKER_COOLDOWN_MS."""

    name: str
    url: str
    api_key: str = field(repr=False)
    timeout: float
    retries: int
    breaker_threshold: int
    breaker_cooldown: float

    @classmethod
    def from_env(
        cls, env: Env, prefix: str, name: str, needs_api_key: bool = True, retries: int = 2
    ) -> UpstreamSettings:
        url = env.required(f"{prefix}_URL")
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.netloc):
            env.invalid(f"{prefix}_URL={url!r} (expected http://host:port, e.g. http://{name}:8000)")
        return cls(
            name=name,
            url=url,
            api_key=env.required(f"{prefix}_API_KEY") if needs_api_key else "",
            timeout=env.integer(f"{prefix}_TIMEOUT_MS", default=2000, minimum=50, maximum=60_000) / 1000,
            retries=env.integer(f"{prefix}_RETRIES", default=retries, minimum=0, maximum=5),
            breaker_threshold=env.integer(f"{prefix}_BREAKER_THRESHOLD", default=5, minimum=1, maximum=1000),
            breaker_cooldown=env.integer(f"{prefix}_BREAKER_COOLDOWN_MS", default=5000, minimum=100, maximum=600_000)
            / 1000,
        )


class UpstreamError(Exception):
    """The upstream could not give an answer; `status` is what our caller should get."""

    def __init__(self, upstream: str, status: int, reason: str) -> None:
        super().__init__(f"{upstream} service {reason}")
        self.upstream = upstream
        self.status = status
        self.reason = reason


class _ServerError(Exception):
    """A 5xx answer, raised inside the breaker so that it counts as a failure."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"answered {response.status_code}")
        self.response = response


class ServiceClient:
    def __init__(
        self,
        upstream: str,
        base_url: str,
        api_key: str = "",
        timeout: float = 2.0,
        retries: int = 2,
        backoff: float = 0.05,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 10.0,
        max_connections: int = 50,
    ) -> None:
        self.upstream = upstream
        self.retries = retries
        self.backoff = backoff
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers={API_KEY_HEADER: api_key} if api_key else None,
            # The connect timeout is short: an unreachable pod should fail over fast.
            timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
        self._breakers = AsyncCircuitBreakerFactory(default_threshold=breaker_threshold, default_ttl=breaker_cooldown)
        self._breakers.add_listener(self._on_breaker_event)
        BREAKER_STATE.labels(upstream).set(0)

    @classmethod
    def from_settings(cls, settings: UpstreamSettings) -> ServiceClient:
        return cls(
            settings.name,
            settings.url,
            api_key=settings.api_key,
            timeout=settings.timeout,
            retries=settings.retries,
            breaker_threshold=settings.breaker_threshold,
            breaker_cooldown=settings.breaker_cooldown,
        )

    def _on_breaker_event(self, name: str, event_name: str, event: Any) -> None:
        if event_name == "state_changed":
            BREAKER_STATE.labels(self.upstream).set(BREAKER_STATES.get(event.state, 0))
            log.warning("circuit breaker %s", event.state, extra={"upstream": self.upstream, "breaker": event.state})

    async def close(self) -> None:
        await self.http.aclose()

    async def probe(self, path: str) -> None:
        """One direct request (no retry, no breaker) for readiness checks; raises unless 2xx."""
        response = await self.http.get(path)
        response.raise_for_status()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The upstream's answer (2xx-4xx), or UpstreamError (502/503/504) for the caller."""
        breaker = await self._breakers.get_breaker(self.upstream)
        try:
            async with breaker:
                return await self._send_with_retries(method, path, **kwargs)
        except OpenedState:
            UPSTREAM_FAILURES.labels(self.upstream, "circuit_open").inc()
            raise UpstreamError(self.upstream, 503, "unavailable (circuit breaker open)") from None
        except _ServerError as exc:
            UPSTREAM_FAILURES.labels(self.upstream, "server_error").inc()
            raise UpstreamError(self.upstream, 502, f"failed ({exc})") from exc
        except httpx.TimeoutException as exc:
            UPSTREAM_FAILURES.labels(self.upstream, "timeout").inc()
            raise UpstreamError(self.upstream, 504, "timed out") from exc
        except httpx.TransportError as exc:
            UPSTREAM_FAILURES.labels(self.upstream, "unreachable").inc()
            raise UpstreamError(self.upstream, 503, f"unreachable ({type(exc).__name__})") from exc

    async def _send_with_retries(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        idempotent = method.upper() in ("GET", "HEAD", "OPTIONS")
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = await self.http.request(method, path, **kwargs)
            except httpx.ConnectError:
                if last:
                    raise
            except httpx.TransportError:
                if last or not idempotent:
                    raise
            else:
                if response.status_code < 500:
                    return response
                if last or not idempotent or response.status_code not in RETRYABLE_STATUS:
                    raise _ServerError(response)
            UPSTREAM_RETRIES.labels(self.upstream).inc()
            await asyncio.sleep(random.uniform(0, self.backoff * 2**attempt))
        raise AssertionError("unreachable")
