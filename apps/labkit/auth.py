"""Service-to-service authentication with API keys.

A service accepts a SET of keys (env API_KEYS="k1,k2") so keys rotate without
downtime: add the new key to every service, switch the callers to it, then drop
the old one. Callers send one key in the X-API-Key header. Keys never reach a log.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from .config import Env
from .openapi import error_responses

API_KEY_HEADER = "X-API-Key"
MIN_KEY_LENGTH = 16

log = logging.getLogger("labkit.auth")

# Declares the scheme in the OpenAPI document; ApiKeyAuth decides and answers 401 itself.
_SCHEME = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="One of the service's API_KEYS")


def api_keys_from_env(env: Env, name: str = "API_KEYS") -> frozenset[str]:
    """The comma-separated key set in `name`; problems are recorded on `env` without the values."""
    raw = env.required(name)
    keys = frozenset(key.strip() for key in raw.split(",") if key.strip())
    if raw and (not keys or any(len(key) < MIN_KEY_LENGTH for key in keys)):
        env.invalid(f"{name} (a comma-separated list of keys, each at least {MIN_KEY_LENGTH} characters)")
    return keys


class ApiKeyAuth:
    """A FastAPI dependency: 401 unless the request carries one of the accepted keys."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = tuple(key.encode() for key in keys)
        if not self._keys:
            raise ValueError("at least one API key is required")

    def _accepted(self, supplied: str) -> bool:
        candidate = supplied.encode()
        # Compare with every key (no early exit) so timing does not tell which one matched.
        matches = [hmac.compare_digest(candidate, key) for key in self._keys]
        return any(matches)

    async def __call__(self, request: Request, supplied: Annotated[str | None, Security(_SCHEME)]) -> None:
        if supplied and self._accepted(supplied):
            return
        reason = "missing API key" if not supplied else "invalid API key"
        client = request.client.host if request.client else ""
        log.warning("request rejected: %s", reason, extra={"path": request.url.path, "client": client})
        raise HTTPException(401, f"{reason} (send it in the {API_KEY_HEADER} header)")


def include_protected(app: FastAPI, router: APIRouter, keys: Iterable[str]) -> None:
    """Mount `router` so that every route needs one of `keys` (401 otherwise, declared as such)."""
    app.include_router(router, dependencies=[Depends(ApiKeyAuth(keys))], responses=error_responses(401))
